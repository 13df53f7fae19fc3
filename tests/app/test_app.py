"""The assembled app: which tabs a path gets, the event handlers' files (mp4 + gif downloads of the
callbacks' frames), the run browser's table and details, and the command's errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import vidsynth
from tests.app.conftest import needs_gradio
from vidsynth.app.runs_tab import RunBrowser, find_runs
from vidsynth.apps.digan import render
from vidsynth.video.write import to_uint8_frames

ROOT = Path(__file__).resolve().parents[2]


def handlers(app) -> dict:
    """Event handler name -> function of a built ``gr.Blocks``."""
    return {f.name: f.fn for f in app.fns.values()}


def mp4_frames(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def gif_frames(path) -> np.ndarray:
    with Image.open(path) as im:
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")))
    return np.stack(frames)


@needs_gradio
def test_digan_handlers_write_mp4_and_gif_of_the_callback(digan_path, tmp_path):
    from vidsynth.app.blocks import build_app

    app = build_app(digan_path, out_dir=tmp_path)
    fns = handlers(app)
    assert {"on_video", "on_still", "on_diverse", "on_swap", "on_interpolate"} <= set(fns)
    mp4, files = fns["on_video"](3, "random", 1.0, -0.5, 1.5, 5, 1, "2.0", 0.0, 1.0)
    assert files == [mp4, mp4[:-4] + ".gif"] and all(Path(f).is_file() for f in files)
    sampler = vidsynth.load(digan_path)
    expected = to_uint8_frames(render.render_times(sampler, np.linspace(-0.5, 1.5, 5), 1, 3, scale=2.0)[0])
    gif, video = gif_frames(files[1]), mp4_frames(mp4)
    assert gif.shape == video.shape == expected.shape == (5, 32, 32, 3)
    # Lossy encoders on random-weight (noise-like) frames: H.264 keeps luma within 2.7 grey levels on
    # average (measured; its 4:2:0 chroma subsampling costs ~10 in RGB, hence luma), the gif palette
    # within 3.7 in RGB; another seed differs by ~50. Bounds at ~2x the measured errors.
    luma = lambda a: a.astype(float) @ np.array([0.299, 0.587, 0.114])   # noqa: E731
    assert np.abs(luma(video) - luma(expected)).mean() < 6
    assert np.abs(gif.astype(int) - expected).mean() < 8

    png = fns["on_still"](3, "random", 1.0, 1.7, 1, "1.0", 0.0, 1.0)
    still = to_uint8_frames(render.render_times(sampler, [1.7], 1, 3)[0])[0]
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")), still)        # png: lossless

    grid, morph, all_files = fns["on_interpolate"](0, "random", 1.0, 1, 0, 0, "w", 3, 4, 6)
    assert len(all_files) == 4 and mp4_frames(grid).shape[0] == 4 and mp4_frames(morph).shape[0] == 6


@needs_gradio
def test_handler_refuses_a_request_over_the_budget(digan_path, tmp_path):
    import gradio as gr

    from vidsynth.app.blocks import build_app

    app = build_app(digan_path, budget_bytes=2 ** 20, out_dir=tmp_path)
    with pytest.raises(gr.Error, match="refused: 16 video"):
        handlers(app)["on_video"](0, "random", 1.0, 0.0, 1.0, 1024, 16, "4.0", 0.0, 1.0)
    assert not list(tmp_path.glob("*.mp4"))                                         # nothing was written
    with pytest.raises(gr.Error, match="zoom range must have hi > lo"):
        handlers(app)["on_video"](0, "random", 1.0, 0.0, 1.0, 4, 1, "1.0", 1.0, 0.5)


@needs_gradio
def test_mocogan_handlers(mocogan_path, tmp_path):
    from vidsynth.app.blocks import build_app

    fns = handlers(build_app(mocogan_path, out_dir=tmp_path))
    assert {"on_long", "on_grid", "on_pca", "on_predict"} <= set(fns)
    mp4, files = fns["on_long"](2, 2, 9)
    assert mp4_frames(mp4).shape[0] == 9 and gif_frames(files[1]).shape[0] == 9
    mp4, _ = fns["on_grid"](0, 2, 3, 4)
    assert mp4_frames(mp4).shape[1:3] == (2 * 18 + 2, 3 * 18 + 2)                   # rows = contents, 16 px + 2 pad
    image = np.full((16, 16, 3), 200, np.uint8)
    fit, info, mp4, files = fns["on_predict"](image, 0, 4, 2, 2)
    assert Path(fit).is_file() and "Projection PSNR" in info and mp4_frames(mp4).shape[0] == 4


def test_run_browser_lists_runs_with_metrics(runs_root, tmp_path):
    assert [p.name for p in find_runs(runs_root)] == ["00000-digan-shapes", "00001-mocogan-hd-scene"]
    browser = RunBrowser(runs_root, tmp_path)
    assert browser.table() == [
        ["00000-digan-shapes", "digan", "builtin:shapes", 0.2, "fvd16 610 @0.2, kvd16 12.5 @0.2", "yes"],
        ["00001-mocogan-hd-scene", "mocogan-hd", "builtin:scene", 0.0, "-", "no"]]
    d = browser.details("00000-digan-shapes")
    assert [c for _, c in d["curves"]] == ["losses", "discriminator outputs", "fvd16", "kvd16", "seconds per kimg"]
    assert all(Image.open(p).size[0] > 100 for p, _ in d["curves"])
    assert d["reals"].endswith("reals.mp4") and d["samples"].endswith("samples-0000.200kimg.mp4")
    assert "| fvd16 | 610 | 0.2 |" in d["metrics"]
    assert browser.details("00001-mocogan-hd-scene")["curves"] == []
    with pytest.raises(ValueError, match="no run named"):
        browser.details("nope")


@needs_gradio
def test_tabs_for_each_kind_of_path(digan_path, runs_root, tmp_path):
    from vidsynth.app.blocks import build_app
    from vidsynth.errors import VidsynthError

    def tabs(app):
        return [b.label for b in app.blocks.values() if type(b).__name__ == "Tab"]

    assert tabs(build_app(runs_root, out_dir=tmp_path))[0] == "Runs"
    run_tabs = tabs(build_app(runs_root / "00000-digan-shapes", out_dir=tmp_path))     # a run with its model
    assert run_tabs[0] == "DIGAN" and run_tabs[-1] == "Run"
    assert tabs(build_app(digan_path, out_dir=tmp_path))[0] == "DIGAN"
    (tmp_path / "empty").mkdir()
    with pytest.raises(VidsynthError, match="holds no model and no runs"):
        build_app(tmp_path / "empty")


@needs_gradio
def test_offline_switches(digan_path, tmp_path):
    from vidsynth.app.blocks import build_app
    from vidsynth.app.offline import require_gradio
    from vidsynth.app.ui import theme

    gr = require_gradio()
    assert gr.analytics.analytics_enabled() is False                      # no reports to api.gradio.app
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert build_app(digan_path, out_dir=tmp_path).config["analytics_enabled"] is False
    t = theme()
    assert all(isinstance(f, str) for f in t._font + t._font_mono)          # system fonts: no font URL
    assert t._stylesheets == []


def _vidsynth(args, pre="pass"):
    """``vidsynth ARGS`` in a fresh interpreter after the statement ``pre``."""
    code = f"import sys; {pre}; from vidsynth.cli import run; sys.argv = ['vidsynth'] + {args!r}; run()"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_missing_gradio_is_one_line_naming_the_extra(digan_path):
    res = _vidsynth(["app", str(digan_path)], pre="sys.modules['gradio'] = None")   # import gradio -> ImportError
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == ["Error: `vidsynth app` needs Gradio, the optional extra 'app': "
                                               "pip install 'vidsynth[app]' (or: pip install gradio)"]


@needs_gradio
def test_bad_path_is_one_line(tmp_path, capsys, monkeypatch):
    import warnings

    from vidsynth.cli import run

    (tmp_path / "nothing").mkdir()
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)     # run() replaces it
    monkeypatch.setattr(sys, "argv", ["vidsynth", "app", str(tmp_path / "nothing")])
    with pytest.raises(SystemExit) as exit_:
        run()
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"Error: '{tmp_path / 'nothing'}' holds no model and no runs: give a run "
                                        "folder (with model/), an exported model folder (config.json + "
                                        "model.safetensors) or a folder of run folders"]
