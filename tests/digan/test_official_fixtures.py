"""DIGAN against golden numbers from the official code (tests/fixtures/official_digan*.npz).

The fixtures hold the official networks' weights (official key names), fixed inputs, the official
outputs, every loss term and the per-parameter gradient norms of the Gmain, Dmain and Dreg phases of
the official ``loss.py``, with DiffAugment off (``noaug``) and on with identical seeded draws (``aug``).
They were written by ``scripts/make_official_fixtures.py digan --official <checkout>``.

Here our networks are loaded through ``official_keys.official_to_ours`` (strictly: every key), fed the
same inputs and put through our loss functions (``vidsynth.training.digan``).

Tolerance, ``rtol=1e-4`` with a small ``atol``: both sides are fp32 on CPU and compute the same
functions, but in a different order (ours: per-video FMM weights and one ``bmm`` for all frames, the
embedding evaluated per time, the first layer of an upsampling block on the low-resolution grid;
official: weights rebuilt per frame, blur kernels as upfirdn2d). Outputs are O(1) sums of O(100)
terms, so reordering costs a few float32 ulps (1e-7 relative) per operation, a few 1e-6 after a
dozen layers; R1 is a second derivative (two more passes), gradient norms a third pass. 1e-4 leaves
that margin while any modelling difference (a factor 2 in R1, a swapped frame order in the
minibatch-std groups, a dropped normalisation) is >= 1e-2 relative. ``atol`` covers entries that are
exactly 0 on one side and round-off on the other (scaled to each quantity's size below).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator, motion_input
from vidsynth.models.digan.official_keys import official_to_ours
from vidsynth.training.digan import augment_pair, discriminator_loss, generator_loss, lazy_r1_loss, r1_penalties

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = "color,translation"       # the official main.yml DiffAugment policy, as in the fixture script
RTOL = 1e-4


def load(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / name) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module", params=["official_digan.npz", "official_digan_cond.npz"])
def case(request):
    fx = load(request.param)
    cfg = {k[4:]: fx[k].item() for k in fx if k.startswith("cfg/")}
    c_dim = int(cfg["c_dim"])
    G = DIGANGenerator(resolution=cfg["resolution"], input_resolution=cfg["input_resolution"], z_dim=cfg["z_dim"],
                       w_dim=cfg["w_dim"], motion_dim=cfg["w_dim"], c_dim=c_dim, mapping_layers=cfg["mapping_layers"],
                       channel_base=cfg["g_channel_base"], channel_max=cfg["g_channel_max"], emb_size=cfg["emb_size"],
                       fourier_scale=math.sqrt(10), sigma_t=0.25, fmm_rank=cfg["fmm_rank"],
                       extra_layers_from=cfg["extra_layers_from"])
    D = DIGANDiscriminator(cfg["resolution"], c_dim, cfg["d_channel_base"], cfg["d_channel_max"], cfg["mbstd_group"])
    G.load_state_dict(official_to_ours({k[2:]: v for k, v in fx.items() if k.startswith("G/")}, "generator"))
    D.load_state_dict(official_to_ours({k[2:]: v for k, v in fx.items() if k.startswith("D/")}, "discriminator"))
    inp = {k[3:]: torch.from_numpy(v) for k, v in fx.items() if k.startswith("in/")}
    inp["c"] = inp["c"] if c_dim else None
    return dict(fx=fx, cfg=cfg, G=G.train(), D=D.train(), inp=inp)


def close(ours, official, what: str, atol: float = 1e-6) -> None:
    ours, official = np.asarray(ours, dtype=np.float64), np.asarray(official, dtype=np.float64)
    assert ours.shape == official.shape, f"{what}: shape {ours.shape} != official {official.shape}"
    np.testing.assert_allclose(ours, official, rtol=RTOL, atol=atol, err_msg=what)


def fake_pair(case) -> torch.Tensor:
    G, inp = case["G"], case["inp"]
    video = G(inp["z"], inp["z_motion"], inp["times"], inp["c"])                   # [B, 3, 2, H, W]
    return motion_input(video[:, :, 0], video[:, :, 1], inp["times"][:, 1] - inp["times"][:, 0])


def augmenter(case, mode: str):
    """The augmentation of one official phase: DiffAugment off, or drawn from a generator seeded as the fixture
    script seeded torch's global one before that phase."""
    if mode == "noaug":
        return lambda x: x
    g = torch.Generator().manual_seed(int(case["cfg"]["aug_seed"]))
    return lambda x: augment_pair(x, POLICY, g)


def test_key_map_loads_every_weight(case):
    """Strict load above; here: every official parameter has a distinct counterpart."""
    fx = case["fx"]
    for kind, prefix, module in (("generator", "G/", case["G"]), ("discriminator", "D/", case["D"])):
        mapped = official_to_ours({k[2:]: v for k, v in fx.items() if k.startswith(prefix)}, kind)
        assert set(mapped) == set(module.state_dict())


def test_generator_output(case):
    G, inp, fx = case["G"], case["inp"], case["fx"]
    with torch.no_grad():
        video = G(inp["z"], inp["z_motion"], inp["video_times"], inp["c"])          # [B, 3, T, H, W]
    ours = video.permute(0, 2, 1, 3, 4).flatten(0, 1)                              # official '(b t) c h w'
    close(ours, fx["out/video"], "G video", atol=1e-5)
    with torch.no_grad():
        close(fake_pair(case), fx["out/fake"], "fake motion input", atol=1e-5)


def test_discriminator_outputs(case):
    """Both Ds on fakes and reals; the image logits come in the official (b t) frame order."""
    D, inp, fx = case["D"], case["inp"], case["fx"]
    with torch.no_grad():
        for name, x in (("fake", torch.from_numpy(fx["out/fake"])), ("real", inp["real"])):
            motion, image = D(x, inp["c"])
            close(motion, fx[f"out/{name}_motion"], f"motion D on {name}")
            close(image, fx[f"out/{name}_image"], f"image D on {name}")


@pytest.mark.parametrize("mode", ["noaug", "aug"])
def test_loss_terms(case, mode):
    D, inp, fx = case["D"], case["inp"], case["fx"]
    with torch.no_grad():
        g_terms = generator_loss(D, augmenter(case, mode)(fake_pair(case)), inp["c"])
        aug = augmenter(case, mode)                        # one stream for the Dmain phase: fakes, then reals
        d_terms, _ = discriminator_loss(D, aug(fake_pair(case)), aug(inp["real"]), inp["c"])
    close(g_terms["G/motion"], fx[f"{mode}/loss/G_motion"], f"{mode}: G loss on the motion D")
    close(g_terms["G/image"], fx[f"{mode}/loss/G_image"], f"{mode}: G loss on the image D")
    for ours, official in (("motion_fake", "D_motion_fake"), ("motion_real", "D_motion_real"),
                           ("image_fake", "D_image_fake"), ("image_real", "D_image_real")):
        close(d_terms[f"D/{ours}"], fx[f"{mode}/loss/{official}"], f"{mode}: D loss {ours}")
    r1_motion, r1_image = r1_penalties(D, inp["real"], inp["c"], augmenter(case, mode))
    # R1 values are O(1e-3): atol 1e-9 is round-off at that scale.
    close(r1_motion.detach(), fx[f"{mode}/loss/r1_motion"], f"{mode}: R1 of the motion D, per pair", atol=1e-9)
    close(r1_image.detach(), fx[f"{mode}/loss/r1_image"], f"{mode}: R1 of the image D, per frame", atol=1e-9)


def _grad_norms(module, official_prefix: str, fx, kind: str) -> tuple[dict, dict]:
    """(ours, official) per-parameter gradient norms keyed by our names, for one official phase."""
    official = {k[len(official_prefix):]: v for k, v in fx.items() if k.startswith(official_prefix)}
    official = official_to_ours(official, kind)
    # keyed like the state dict (the checkpoint and official-key-map names; parameter names nest the motion generator)
    ours = {k: (0.0 if p.grad is None else p.grad.norm().item())
            for k, p in module.state_dict(keep_vars=True).items() if isinstance(p, torch.nn.Parameter)}
    return ours, {k: v.item() for k, v in official.items()}


@pytest.mark.parametrize("mode", ["noaug", "aug"])
def test_training_step_gradients(case, mode):
    """Gradients of the three official phases: Gmain (G), Dmain (D), Dreg (D, R1 with gain = interval)."""
    G, D, inp, fx, cfg = case["G"], case["D"], case["inp"], case["fx"], case["cfg"]

    def phase(name, module, kind, loss_fn):
        for m in (G, D):
            m.zero_grad(set_to_none=True)
        loss_fn().backward()
        ours, official = _grad_norms(module, f"{mode}/grad/{name}/", fx, kind)
        assert set(ours) == set(official)
        scale = max(official.values())
        for k in ours:   # atol: 1e-6 of the largest norm of the phase (round-off on near-zero gradients)
            close(ours[k], official[k], f"{mode} {name}: |grad {k}|", atol=1e-6 * scale)
        total = lambda d: math.sqrt(sum(v * v for v in d.values()))
        close(total(ours), total(official), f"{mode} {name}: total gradient norm")

    phase("Gmain", G, "generator",
          lambda: sum(generator_loss(D, augmenter(case, mode)(fake_pair(case)), inp["c"]).values()))

    def d_main():
        aug = augmenter(case, mode)
        with torch.no_grad():
            fake = fake_pair(case)
        return sum(discriminator_loss(D, aug(fake), aug(inp["real"]), inp["c"])[0].values())

    phase("Dmain", D, "discriminator", d_main)
    phase("Dreg", D, "discriminator",
          lambda: lazy_r1_loss(D, inp["real"], inp["c"], augmenter(case, mode), cfg["r1_gamma"],
                               int(cfg["r1_interval"]))[0])


def test_conditional_label_mapping_matches_stylegan2_ada():
    """The conditional D's cmap: embed, normalize_2nd_moment, 8 lrelu layers (lr 0.01) -- checked by the cond
    fixture above; here its size, which the paper's 101-class UCF-101 D has (audit: 2,153,472 per D)."""
    from vidsynth.models.resnet_discriminator import ResNetDiscriminator

    d = ResNetDiscriminator(128, 3, c_dim=101)
    assert sum(p.numel() for p in d.mapping.parameters()) == 2_153_472
    cmap = d.mapping(F.one_hot(torch.arange(4), 101).float())
    assert 0.5 < cmap.square().mean().sqrt().item() < 2      # ~1 at init with the normalisation (0.1 without)


def test_fixture_maker_refuses_a_folder_that_is_not_the_official_checkout(tmp_path, capsys):
    """The dispatcher loads scripts/official_fixtures/digan.py and stops with exit code 2 and a message."""
    from tests.scripts_module import load_script

    module = load_script("make_official_fixtures")
    with pytest.raises(SystemExit) as e:
        module.main(["digan", "--official", str(tmp_path), "--out", str(tmp_path / "out")])
    assert e.value.code == 2
    assert "not a sihyun-yu/digan checkout" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
