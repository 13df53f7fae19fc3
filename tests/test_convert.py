"""Importing rosinality checkpoints: round trip, strict mismatch report, safe loading, CLI."""
import argparse
import json

import pytest
import torch
from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.importers.convert import convert_checkpoint
from vidsynth.errors import CheckpointError
from vidsynth.importers.rosinality import (check_state_dict, import_rosinality, infer_config,
                                           to_rosinality_state_dict)
from vidsynth.export import load_model
from vidsynth.models.stylegan2 import StyleGAN2Generator

# Rosinality checkpoints always have 512 channels up to 32 px, so the smallest real layout is 8 px.
KW = dict(resolution=8, style_dim=512, n_mlp=2, channel_multiplier=2)


@pytest.fixture(scope="module")
def source():
    """A generator with non-trivial noise strengths and biases, and its rosinality-layout state dict."""
    torch.manual_seed(0)
    g = StyleGAN2Generator(**KW).eval()
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith(("noise.weight", "bias")):
                p.normal_()
        g.w_avg.normal_()
    state, latent_avg = to_rosinality_state_dict(g)
    return g, state, latent_avg


def write(path, obj):
    torch.save(obj, path)
    return path


def test_round_trip_identical_outputs(tmp_path, source):
    g, state, latent_avg = source
    src = write(tmp_path / "ckpt.pt", {"g_ema": state, "latent_avg": latent_avg, "g": state,
                                       "args": argparse.Namespace(size=8), "ada_aug_p": 0.0})
    folder = convert_checkpoint(src, tmp_path / "model", log=lambda *a: None)
    config = json.loads((folder / "config.json").read_text())
    assert config["class_name"] == "StyleGAN2Generator" and config["version"] == 1
    assert config["kwargs"] == {"resolution": 8, "style_dim": 512, "n_mlp": 2, "channel_multiplier": 2}
    loaded, _ = load_model(folder)
    z = torch.randn(2, 512, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = g(z, truncation_psi=0.7, noise_mode="const")
        actual = loaded(z, truncation_psi=0.7, noise_mode="const")
    assert torch.equal(expected, actual)
    assert torch.equal(loaded.w_avg, g.w_avg)


def test_bare_state_dict_estimates_w_avg(tmp_path, source):
    g, state, _ = source
    src = write(tmp_path / "bare.pt", state)
    messages = []
    model, kwargs = import_rosinality(src, log=messages.append)
    assert any("estimated" in m for m in messages)
    assert model.w_avg.abs().sum() > 0
    assert kwargs["n_mlp"] == 2 and kwargs["resolution"] == 8


def test_infer_config_channel_multiplier():
    with torch.device("meta"):
        g = StyleGAN2Generator(64, n_mlp=3, channel_multiplier=1)
    state, _ = to_rosinality_state_dict(g)
    assert infer_config(state) == {"resolution": 64, "style_dim": 512, "n_mlp": 3, "channel_multiplier": 1}


def test_mismatch_report_names_every_problem(tmp_path, source):
    g, state, latent_avg = source
    bad = dict(state)
    bad["convs.1.conv.weight"] = torch.zeros(1, 512, 512, 1, 1)      # mis-shaped
    del bad["to_rgbs.0.bias"]                                          # missing
    bad["convs.9.noise.weight"] = torch.zeros(1)                       # unexpected
    bad["to_rgbs.0.upsample.kernel"] = torch.ones(4, 4)                # wrong constant
    src = write(tmp_path / "bad.pt", {"g_ema": bad, "latent_avg": latent_avg})
    with pytest.raises(CheckpointError) as err:
        convert_checkpoint(src, tmp_path / "out", log=lambda *a: None)
    msg = str(err.value)
    assert "missing (1):\n  to_rgbs.0.bias" in msg
    assert "unexpected (1):\n  convs.9.noise.weight" in msg
    assert "convs.1.conv.weight: expected [1, 512, 512, 3, 3], found [1, 512, 512, 1, 1]" in msg
    assert "to_rgbs.0.upsample.kernel" in msg
    assert not (tmp_path / "out").exists()      # nothing written


def test_wrong_size_option_is_reported(tmp_path, source):
    _, state, _ = source
    report = check_state_dict(state, StyleGAN2Generator(16, n_mlp=2))
    assert not report.ok and "to_rgbs.1.conv.weight" in report.missing and "noises.noise_3" in report.missing


class Payload:
    """Stands for any non-tensor object in a pickle (which could run code when unpickled)."""


def test_refuses_arbitrary_pickles(tmp_path):
    src = write(tmp_path / "evil.pt", {"g_ema": {}, "thing": Payload()})
    with pytest.raises(CheckpointError, match="refused"):
        import_rosinality(src, log=lambda *a: None)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        import_rosinality(tmp_path / "junk.pt", log=lambda *a: None)
    with pytest.raises(CheckpointError, match="no such file"):
        import_rosinality(tmp_path / "missing.pt", log=lambda *a: None)
    src = write(tmp_path / "other.pt", {"model": {"w": torch.ones(1)}})
    with pytest.raises(CheckpointError, match="g_ema"):
        import_rosinality(src, log=lambda *a: None)


def test_cli(tmp_path, source):
    _, state, latent_avg = source
    src = write(tmp_path / "ckpt.pt", {"g_ema": state, "latent_avg": latent_avg})
    runner = CliRunner()
    result = runner.invoke(main, ["convert", str(src), str(tmp_path / "m"), "--n-mlp", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (tmp_path / "m" / "model.safetensors").is_file()
    result = runner.invoke(main, ["convert", str(src), str(tmp_path / "m2"), "--size", "16"])
    assert isinstance(result.exception, CheckpointError) and "missing" in str(result.exception)
    assert "Examples" in runner.invoke(main, ["convert", "--help"]).output


# ---------------------------------------------------------------- official formats, end to end
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import vidsynth  # noqa: E402
from tests.importers import test_digan_import as digan_fx  # noqa: E402
from tests.importers.fake_persistence import write_pickle  # noqa: E402
from tests.importers.test_mocogan_hd_import import release  # noqa: E402
from tests.importers.test_stylegan2_ada_import import ada_pickle  # noqa: E402
from vidsynth.export import save_model  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def digan_export(tmp_path_factory):
    """An official-format DIGAN snapshot converted by the CLI with --from auto."""
    tmp = tmp_path_factory.mktemp("digan_cli")
    fx = np.load(FIXTURES / "import_digan.npz")
    src = write_pickle(tmp / "network-snapshot-000800.pkl", digan_fx.snapshot(fx))
    result = CliRunner().invoke(main, ["convert", str(src), str(tmp / "model")], catch_exceptions=False)
    assert "format: digan" in result.output and result.exit_code == 0
    return tmp / "model"


def test_digan_export_holds_generator_and_discriminators(digan_export):
    config = json.loads((digan_export / "config.json").read_text())
    assert config["class_name"] == "DIGANGenerator" and config["metadata"]["format"] == "digan"
    assert config["metadata"]["discriminator"]["kwargs"]["channel_max"] == 16 and config["metadata"]["train_frames"] == 16
    from vidsynth.training.init_weights import read_discriminator
    assert read_discriminator(digan_export).image_d.fromrgb.weight.shape == (8, 3, 1, 1)


def test_conditional_digan_snapshot_exports_its_discriminators(tmp_path):
    """CLI convert of a class-conditional snapshot (official conditional fixture weights): the export holds
    both Ds with their label mapping, and the D read back for fine-tuning gives the official logits."""
    from vidsynth.training.init_weights import architecture_overrides, read_discriminator

    cond = np.load(FIXTURES / "official_digan_cond.npz")
    src = digan_fx.conditional_snapshot(cond, tmp_path=tmp_path)
    result = CliRunner().invoke(main, ["convert", str(src), str(tmp_path / "model")], catch_exceptions=False)
    assert result.exit_code == 0 and "not imported" not in result.output
    D = read_discriminator(tmp_path / "model")
    assert D.c_dim == 3 and architecture_overrides(tmp_path / "model")[1]["conditional"] is True
    c = torch.from_numpy(cond["in/c"])
    with torch.no_grad():
        motion, _ = D(torch.from_numpy(cond["out/fake"]), c)
    # fp32 both sides, same ops in another order (see tests/importers/test_digan_import.py): rounding only.
    torch.testing.assert_close(motion, torch.from_numpy(cond["out/fake_motion"]), rtol=1e-4, atol=1e-6)


def test_generate_every_mode_on_imported_digan(digan_export, tmp_path):
    from vidsynth.apps.digan.modes import MODES
    extra = {"times": ["--times", "0,0.5,1.5"], "interpolate-time": ["--factor", "2"],
             "extrapolate-time": ["--factor", "2"], "upsample": ["--scale", "2"], "long": ["--frames", "6"],
             "zoom-out": [], "swap": ["--contents", "2", "--motions", "2"], "interpolate-latent": ["--steps", "3"],
             "morph": ["--steps", "3"], "diverse-motion": []}
    for mode in MODES:
        out = tmp_path / f"{mode}.mp4"
        args = ["generate", str(digan_export), "--mode", mode, "--n", "2", "--out", str(out), "--device", "cpu"]
        args += extra.get(mode, []) if mode == "long" else ["--frames", "4"] + extra.get(mode, [])
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, (mode, result.output)
        assert out.exists() and out.stat().st_size > 0, mode


def test_load_predict_and_metrics_on_imported_digan(digan_export, tmp_path):
    sampler = vidsynth.load(digan_export)
    a, b = sampler.sample(3, frames=4, seed=7), sampler.sample(3, frames=4, seed=7)
    assert a.shape == (3, 3, 4, 16, 16) and torch.equal(a, b)
    result = CliRunner().invoke(main, ["predict", str(digan_export), "--frames-from", "builtin:shapes", "--given",
                                       "0,1", "--predict", "2-3", "--steps", "3", "--out", str(tmp_path / "p.mp4"),
                                       "--device", "cpu"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["metrics", "--metrics", "acd4_8f", "--acd-features", "mean_color", "--fake",
                                       str(digan_export), "--device", "cpu", "--no-log"], catch_exceptions=False)
    assert result.exit_code == 0 and "acd4_8f" in result.output, result.output


def test_fine_tune_from_imported_digan(digan_export, tmp_path):
    """train --resume-from-weights: a new run whose G, G_ema and D start from the import."""
    from vidsynth.training.init_weights import read_discriminator
    runner = CliRunner()
    args = ["train", "--resume-from-weights", str(digan_export), "--data", "builtin:shapes", "--preset", "test",
            "--kimg", "0.004", "--outdir", str(tmp_path / "runs"), "--device", "cpu", "--quiet", "--workers", "0"]
    shown = runner.invoke(main, args + ["--show-config"], catch_exceptions=False)
    cfg = json.loads(shown.output)["method"]
    assert (cfg["resolution"], cfg["z_dim"], cfg["sigma_t"], cfg["fmm_rank"], cfg["emb_size"]) == (16, 24, 0.35, 3, 16)
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "G, G_ema, D (image and motion) loaded" in result.output
    run = next((tmp_path / "runs").iterdir())
    assert json.loads((run / "config.json").read_text())["init_weights"] == str(digan_export)
    from vidsynth.training import checkpoint as ckpt
    _, state = ckpt.load_latest(run, tmp_path / "runs", "digan")
    imported, _ = load_model(digan_export)
    D0 = read_discriminator(digan_export)
    # One step of Adam (lr 0.0025) moves each weight by at most ~lr: still within 0.01 of the import, while
    # a fresh init would differ by O(1). (w_avg, a buffer, is a running mean and moves more.)
    for k, v in imported.state_dict(keep_vars=True).items():   # checkpoint keys (parameter names nest DIGAN's
        if not isinstance(v, torch.nn.Parameter):                    # motion generator); w_avg is a buffer
            continue
        assert (state["trainer"]["G_ema"][k].float() - v).abs().max() < 0.01, k
    for k, v in D0.named_parameters():
        assert (state["trainer"]["D"][k].float() - v).abs().max() < 0.01, k
    clash = runner.invoke(main, args + ["--set", "z_dim=32"])
    assert clash.exit_code != 0 and "would change the architecture" in clash.output
    # With the self-supervised image D on (d_recon_weight), the two imported Ds load and only the decoder is new.
    args2 = [str(tmp_path / "runs2") if a == str(tmp_path / "runs") else a for a in args]
    recon = runner.invoke(main, args2 + ["--set", "d_recon_weight=1", "--set", "d_recon_from=4"],
                          catch_exceptions=False)
    assert recon.exit_code == 0, recon.output
    assert "G, G_ema, D (image and motion) loaded; the image D's decoder starts fresh" in recon.output
    _, state = ckpt.load_latest(next((tmp_path / "runs2").iterdir()), tmp_path / "runs2", "digan")
    assert any(k.startswith("image_decoder.") for k in state["trainer"]["D"])
    for k, v in D0.named_parameters():
        assert (state["trainer"]["D"][k].float() - v).abs().max() < 0.01, k


def test_stylegan2_ada_auto_detected(tmp_path):
    fx = np.load(FIXTURES / "import_stylegan2_ada.npz")
    src = ada_pickle(fx, tmp_path / "ffhq.pkl")
    folder = convert_checkpoint(src, tmp_path / "g", log=lambda *a: None)
    config = json.loads((folder / "config.json").read_text())
    assert config["class_name"] == "StyleGAN2Generator" and config["metadata"]["format"] == "stylegan2-ada"
    images = vidsynth.load(folder).sample(2, seed=1)
    assert images.shape[-2:] == (16, 16)
    _fine_tune(folder, tmp_path, "G, G_ema loaded")
    # ... and drives MoCoGAN-HD as its frozen image generator.
    args = ["train", "--method", "mocogan-hd", "--image-generator", str(folder), "--data", "builtin:shapes",
            "--preset", "test", "--kimg", "0.002", "--outdir", str(tmp_path / "mruns"), "--device", "cpu", "--quiet",
            "--workers", "0"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    video = vidsynth.load(next((tmp_path / "mruns").iterdir())).sample(1, frames=3)
    assert video.shape == (1, 3, 3, 16, 16)


def _fine_tune(folder, tmp_path, loaded):
    args = ["train", "--resume-from-weights", str(folder), "--data", "builtin:shapes", "--preset", "test",
            "--kimg", "0.004", "--outdir", str(tmp_path / "runs"), "--device", "cpu", "--quiet", "--workers", "0"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0 and loaded in result.output, result.output


def test_mocogan_hd_release_into_one_export(tmp_path):
    fx = np.load(FIXTURES / "import_mocogan_hd.npz")
    pth, pca = release(fx, tmp_path)
    torch.manual_seed(0)
    save_model(StyleGAN2Generator(resolution=8, style_dim=16, n_mlp=1, channel_max=8), tmp_path / "gi",
               dict(resolution=8, style_dim=16, n_mlp=1, channel_max=8))
    args = ["convert", str(pth), str(tmp_path / "video"), "--pca", str(pca), "--image-generator", str(tmp_path / "gi")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0 and "format: mocogan-hd" in result.output, result.output
    sampler = vidsynth.load(tmp_path / "video")
    G_M = sampler.generator.motion_generator
    assert bool(G_M.pca_fitted) and torch.allclose(G_M.pca_std, torch.from_numpy(fx["pca_stdev"][:10]).float())
    assert sampler.sample(2, frames=5, seed=3).shape == (2, 3, 5, 8, 8)
    out = tmp_path / "m.mp4"
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "video"), "--n", "2", "--frames", "4", "--out",
                                       str(out), "--device", "cpu"], catch_exceptions=False)
    assert result.exit_code == 0 and out.stat().st_size > 0, result.output
    _fine_tune(tmp_path / "video", tmp_path, "motion generator (with its PCA) loaded")
    missing = CliRunner().invoke(main, ["convert", str(pth), str(tmp_path / "v2")])
    assert isinstance(missing.exception, CheckpointError) and "--pca FOLDER" in str(missing.exception)


def _cli(*args, cwd=None):
    env = dict(__import__("os").environ, PYTHONPATH=str(Path(__file__).parents[1]))
    return subprocess.run([sys.executable, "-m", "vidsynth", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_destination_rules_and_nan_weights_exit_2(tmp_path, source):
    g, state, latent_avg = source
    src = write(tmp_path / "ckpt.pt", {"g_ema": state, "latent_avg": latent_avg})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep")
    run = tmp_path / "00001-digan-x"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "stats.jsonl").write_text("")
    bad = dict(state)
    bad["style.1.weight"] = bad["style.1.weight"].clone()
    bad["style.1.weight"][0, 0] = float("inf")
    nan_src = write(tmp_path / "nan.pt", {"g_ema": bad, "latent_avg": latent_avg})
    from vidsynth.errors import VidsynthError
    for args, message in (([src, tmp_path / "full"], "is not empty; choose a new folder or pass --force"),
                          ([nan_src, tmp_path / "n"], "hold NaN or inf values (style.1.weight)")):
        with pytest.raises(VidsynthError) as e:
            convert_checkpoint(*args, log=lambda *a: None)
        assert message in str(e.value) and "\n" not in str(e.value)
    proc = _cli("convert", src, run, "--force")           # the CLI: exit 2, one line, no traceback
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "is a training run folder; convert never writes into one" in lines[0]
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "stats.jsonl"]
    assert not (tmp_path / "n").exists()
    convert_checkpoint(src, tmp_path / "full", force=True, log=lambda *a: None)
    assert (tmp_path / "full" / "model.safetensors").is_file() and (tmp_path / "full" / "notes.txt").exists()


def test_hostile_pickle_through_cli(tmp_path):
    marker = tmp_path / "marker"
    (tmp_path / "evil.pkl").write_bytes(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    proc = _cli("convert", tmp_path / "evil.pkl", tmp_path / "out")
    assert proc.returncode == 2 and "refused to load" in proc.stderr and "Nothing from the file was run" in proc.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()
