"""Importing rosinality checkpoints: round trip, strict mismatch report, safe loading, CLI."""
import argparse
import json

import pytest
import torch
from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.convert import convert_checkpoint
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
