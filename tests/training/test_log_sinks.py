"""--log: TensorBoard gets scalars, the sample grid as an image and as an animated gif; W&B the same, offline
unless the user is logged in; stats.jsonl is always written."""
import re
import sys
import types

import numpy as np
import pytest

from vidsynth.errors import ConfigError
from vidsynth.training.log_sinks import open_sinks, parse_log, wandb_mode
from vidsynth.training.loop import train

from .conftest import loop_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One short run logging to TensorBoard and a real (offline) W&B."""
    from vidsynth.config import method_config

    pytest.importorskip("wandb")
    home = tmp_path_factory.mktemp("home")              # no ~/.netrc: not logged in
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for var in ("WANDB_MODE", "WANDB_API_KEY", "NETRC"):
            mp.delenv(var, raising=False)
        mp.setenv("WANDB_SILENT", "true")
        return train(method_config("digan", "test"), loop_config(kimg=0.008, log="tensorboard,wandb"),
                     outdir=tmp_path_factory.mktemp("runs"), progress=False)


def test_tensorboard_gets_scalars_an_image_grid_and_a_video(run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    assert "loss/G" in events.Tags()["scalars"]
    assert events.Scalars("loss/G")[-1].step == 8                 # step = nimg (2 steps of batch 4)
    assert {"samples/frames", "samples/video"} <= set(events.Tags()["images"])
    video = events.Images("samples/video")[-1]
    assert video.encoded_image_string == (run / "samples-latest.gif").read_bytes()   # the animated grid
    assert video.encoded_image_string[:6] == b"GIF89a"
    frames = events.Images("samples/frames")[-1]
    assert frames.encoded_image_string[:4] == b"\x89PNG" and frames.step == 8


def test_wandb_run_is_offline_and_holds_samples_and_scalars(run):
    offline = list((run / "wandb").glob("offline-run-*"))
    assert len(offline) == 1 and not list((run / "wandb").glob("run-*"))   # no online run directory
    gifs = list(offline[0].rglob("files/media/videos/samples/*.gif"))
    assert len(gifs) == 1 and gifs[0].read_bytes() == (run / "samples-latest.gif").read_bytes()
    assert list(offline[0].rglob("files/media/images/samples/*.png"))
    history = next(offline[0].glob("*.wandb")).read_bytes()
    assert b"loss/G" in history                                  # the scalar keys are in the run's record log


def test_wandb_mode_offline_unless_logged_in(tmp_path, monkeypatch):
    for var in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    assert wandb_mode() == "offline"
    (tmp_path / "netrc").write_text("machine api.wandb.ai\n  login user\n  password abc\n")
    assert wandb_mode() == "online"
    (tmp_path / "netrc").write_text("machine example.com\n  login user\n")
    assert wandb_mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "k")
    assert wandb_mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode() == "disabled"


def test_wandb_sink_with_a_fake_module(tmp_path, monkeypatch):
    """What the sink asks of wandb: init with the run folder, offline, then logs at step nimg, then finish."""
    calls = []

    class Run:
        def log(self, data, step):
            calls.append(("log", sorted(data), step))

        def finish(self):
            calls.append(("finish",))

    fake = types.SimpleNamespace(init=lambda **kw: calls.append(("init", kw)) or Run(),
                                 Image=lambda a: ("image", a.shape), Video=lambda p, format: ("video", format))
    monkeypatch.setitem(sys.modules, "wandb", fake)
    for var in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    sinks = open_sinks("wandb", tmp_path / "00003-digan-x", {"lr": 1})
    sinks.scalars({"loss/G": 1.0, "flag": True, "name": "x"}, 40)
    sinks.samples(np.zeros((4, 8, 3), np.uint8), tmp_path / "a.gif", 40)
    sinks.close()
    init = calls[0][1]
    assert (init["mode"], init["name"], init["dir"], init["config"]) == ("offline", "00003-digan-x",
                                                                        str(tmp_path / "00003-digan-x"), {"lr": 1})
    assert re.fullmatch(r"00003-digan-x-[0-9a-f]{8}", init["id"]) and init["resume"] is None
    open_sinks("wandb", tmp_path / "00003-digan-x", {}, resume=True)               # the same folder, resumed:
    assert calls[-1][1]["id"] == init["id"] and calls[-1][1]["resume"] == "allow"  # the same W&B run
    open_sinks("wandb", tmp_path / "elsewhere" / "00003-digan-x", {})
    assert calls[-1][1]["id"] != init["id"]
    assert calls[1:4] == [("log", ["loss/G"], 40), ("log", ["samples/frames", "samples/video"], 40), ("finish",)]


def test_missing_packages_and_unknown_sinks_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)              # import wandb -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'vidsynth\[wandb\]'"):
        open_sinks("wandb", tmp_path, {})
    with pytest.raises(ConfigError, match="unknown sink mlflow"):
        parse_log("tensorboard,mlflow")
    with pytest.raises(ConfigError, match="cannot be combined"):
        parse_log("none,wandb")
    assert open_sinks("none", tmp_path, {}).sinks == []
    assert not (tmp_path / "tensorboard").exists()


def test_a_failing_sink_warns_and_the_others_still_log():
    from vidsynth.training.log_sinks import LogSinks

    got = []

    class Broken:
        def scalars(self, values, nimg):
            raise OSError("disk full")

    class Fine:
        def scalars(self, values, nimg):
            got.append((values, nimg))

    with pytest.warns(UserWarning, match=r"Broken.scalars failed \(OSError: disk full\); training continues"):
        LogSinks([Broken(), Fine()]).scalars({"a": 1.0}, 4)
    assert got == [({"a": 1.0}, 4)]
