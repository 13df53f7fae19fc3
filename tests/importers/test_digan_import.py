"""Official DIGAN snapshots: a pickle in the official format around official seeded weights imports into
networks that reproduce the official outputs (numbers from scripts/make_import_fixtures.py)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.importers.fake_persistence import CALLED_MARKER, module_tree, split, write_pickle
from vidsynth.errors import CheckpointError
from vidsynth.importers.digan import import_digan, official_digan_key

FIXTURE = Path(__file__).parents[1] / "fixtures" / "import_digan.npz"


@pytest.fixture(scope="module")
def fx():
    return np.load(FIXTURE)


def snapshot(fx, g=None, d=None, g_kwargs=None, module_src=None):
    """The dict a DIGAN training run pickles: G, D, G_ema (persistence records), augment_pipe, kwargs."""
    g = split(fx, "g") if g is None else g
    d = split(fx, "d") if d is None else d
    g_kwargs = json.loads(str(fx["g_kwargs"])) if g_kwargs is None else g_kwargs
    d_kwargs = dict(json.loads(str(fx["d_kwargs"])), num_fp16_res=4, conv_clamp=256)   # as train.py records
    G = module_tree(g, "Generator", g_kwargs, module_src=module_src,
                    extra={"dist1": torch.distributions.Beta(2.0, 1.0)})
    D = module_tree(d, "OurDiscriminator", d_kwargs, module_src=module_src)
    return {"training_set_kwargs": {"path": "/data/UCF-101"}, "G": G, "D": D, "G_ema": G, "augment_pipe": None}


@pytest.fixture(scope="module")
def imported(fx, tmp_path_factory):
    path = write_pickle(tmp_path_factory.mktemp("digan") / "network-snapshot-000000.pkl", snapshot(fx))
    return import_digan(path, log=lambda *a: None)


def test_config_inferred_from_shapes_and_kwargs(imported):
    G, g_kwargs, D, d_kwargs, notes = imported
    assert g_kwargs == dict(resolution=16, input_resolution=8, z_dim=24, w_dim=24, motion_dim=24, c_dim=0,
                            mapping_layers=2, channel_base=256, channel_max=32, emb_size=16,
                            fourier_scale=math.sqrt(10), sigma_t=0.35, fmm_rank=3, extra_layers_from=16)
    assert d_kwargs == dict(resolution=16, c_dim=0, channel_base=128, channel_max=16, mbstd_group_size=4)
    assert notes == []


def test_generator_matches_official(fx, imported):
    G = imported[0]
    z, zm, times = (torch.from_numpy(fx[k]) for k in ("z", "z_motion", "times"))
    with torch.no_grad():
        w = G.mapping(z)
        video = G.synthesize(w, zm, times)                          # [B, 3, T, H, W]
    ws = torch.from_numpy(fx["ws"])
    # The mapping is the same float32 ops in the same order: only summation-order rounding (~1e-7 rel).
    assert (w - ws[:, 0]).abs().max() < 1e-5
    official = torch.from_numpy(fx["video"]).view(2, len(times), 3, 16, 16).transpose(1, 2)
    # Outputs have std ~1.7. Our FMM folds the sqrt(2) gain into the weights and computes the first
    # layer of the up-block on the low-res grid (exact algebra, different rounding): float32 rounding
    # (eps 6e-8) over ~6 chained layers of up to 320 inputs; measured 4.6e-6, bound 10x that.
    err = (video - official).abs().max().item()
    assert err < 5e-5, err
    assert official.std() > 0.5                                       # not a trivially zero comparison


def test_discriminators_match_official(fx, imported):
    D = imported[2]
    with torch.no_grad():
        motion = D.motion_d(torch.from_numpy(fx["d_pair"]))
        image = D.image_d(torch.from_numpy(fx["d_frames"]))
    # Same convolutions; only the blur implementation differs (float32 rounding): measured 9e-8.
    assert (motion - torch.from_numpy(fx["d_motion"])).abs().max() < 5e-6
    assert (image - torch.from_numpy(fx["d_image"])).abs().max() < 5e-6


def test_official_code_is_never_run(fx, tmp_path, monkeypatch):
    """Every record carries source code that would write a marker file if executed; none is written."""
    monkeypatch.chdir(tmp_path)
    code = f"open({str(tmp_path / 'executed')!r}, 'w').write('pwned')\n"
    path = write_pickle(tmp_path / "snap.pkl", snapshot(fx, module_src=code))
    G = import_digan(path, log=lambda *a: None)[0]
    assert not (tmp_path / "executed").exists() and not (tmp_path / CALLED_MARKER).exists()
    assert G.resolution == 16


def test_missing_unexpected_and_misshaped_keys_are_named(fx, tmp_path):
    g = split(fx, "g")
    del g["synthesis.b8.conv1.affine.bias"]
    g["synthesis.b8.conv0.weight"] = g["synthesis.b8.conv0.weight"][:, :-1]
    g["synthesis.b8.mystery.weight"] = np.zeros(3, np.float32)
    path = write_pickle(tmp_path / "bad.pkl", snapshot(fx, g=g))
    with pytest.raises(CheckpointError) as e:
        import_digan(path, log=lambda *a: None)
    msg = str(e.value)
    assert "missing (1):\n  blocks.1.layers.1.affine.bias" in msg
    assert "synthesis.b8.mystery.weight" in msg and "unexpected (1)" in msg
    assert "synthesis.b8.conv0.weight (-> blocks.1.layers.0.weight): expected [32, 32], found [32, 31]" in msg


def test_wrong_resample_filter_is_refused(fx, tmp_path):
    g = split(fx, "g")
    g["synthesis.b16.resample_filter"] = np.eye(4, dtype=np.float32)
    with pytest.raises(CheckpointError, match="resample filters other than"):
        import_digan(write_pickle(tmp_path / "f.pkl", snapshot(fx, g=g)), log=lambda *a: None)


def test_nan_weights_are_refused(fx, tmp_path):
    g = split(fx, "g")
    g["mapping.fc1.weight"] = g["mapping.fc1.weight"].copy()
    g["mapping.fc1.weight"][0, 0] = np.nan
    with pytest.raises(CheckpointError, match=r"NaN or inf values \(mapping.fc1.weight\)"):
        import_digan(write_pickle(tmp_path / "n.pkl", snapshot(fx, g=g)), log=lambda *a: None)


def test_key_map_covers_every_official_key(fx):
    for key in split(fx, "g"):
        assert official_digan_key(key, 16, 8) is None or official_digan_key(key, 16, 8).split(".")[0] in ("mapping", "blocks")
    assert official_digan_key("synthesis.b16.extra_convs.0.affine.weight", 16, 8) == "blocks.2.layers.2.affine.weight"
    assert official_digan_key("videoD.b16.fromrgb.weight", 16, 8) == "motion_d.fromrgb.weight"
    assert official_digan_key("imageD.b8.skip.weight", 16, 8) == "image_d.blocks.1.skip.weight"


def test_class_conditional_snapshot_imports_g_and_says_why_not_d(fx, tmp_path):
    """Structure only (the numbers are not the official ones): c_dim from mapping.embed, Ds left out."""
    g = split(fx, "g")
    rng = np.random.default_rng(0)
    g["mapping.embed.weight"] = rng.standard_normal((24, 5)).astype(np.float32)
    g["mapping.embed.bias"] = np.zeros(24, np.float32)
    g["mapping.fc0.weight"] = rng.standard_normal((24, 48)).astype(np.float32)
    G, g_kwargs, D, d_kwargs, notes = import_digan(write_pickle(tmp_path / "c.pkl", snapshot(fx, g=g)),
                                                   log=lambda *a: None)
    assert (g_kwargs["c_dim"], g_kwargs["z_dim"], D, d_kwargs) == (5, 24, None, None)
    assert "discriminators not imported" in notes[0]
    video = G(torch.zeros(1, 24), torch.zeros(1, 24), torch.tensor([0.0]), c=torch.eye(5)[:1])
    assert video.shape == (1, 3, 1, 16, 16)
