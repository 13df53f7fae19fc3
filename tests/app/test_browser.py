"""``vidsynth app`` in a real browser: start it on a free localhost port, drive headless Chromium (the
report test's installation) with the network closed, change the seed and the time sliders, and check
that a new video loads and plays, that the still frame changes to exactly the library's frame, that
nothing outside localhost was requested, and that the server listens on 127.0.0.1 only."""
from __future__ import annotations

import io as _io
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import vidsynth
from tests.app.conftest import needs_gradio
from tests.report.browser import _free_port, find_browser
from vidsynth.apps.digan import render
from vidsynth.video.write import to_uint8_frames

CHROMIUM, DRIVER, MISSING = find_browser()
pytestmark = [pytest.mark.skipif(bool(MISSING), reason=MISSING), needs_gradio]
ROOT = Path(__file__).resolve().parents[2]

# Resolves once the selector's <video> has a source, has data and has played past 0.2 s (or after
# 30 s with what it saw, so a failure says why instead of hanging).
WAIT_VIDEO = """
const [selector, previous, done] = arguments;
const start = Date.now();
(function poll() {
  const v = document.querySelector(selector);
  if (v && v.src && v.src !== previous) { v.muted = true; if (v.paused) v.play().catch(() => {}); }
  const ok = v && v.src && v.src !== previous && v.readyState >= 2 && v.currentTime > 0.2 && !v.paused;
  if (ok || Date.now() - start > 30000) {
    done(v ? {src: v.src, ready: v.readyState, time: v.currentTime, paused: v.paused, width: v.videoWidth,
              error: v.error ? v.error.code : null} : null);
  } else { setTimeout(poll, 100); }
})();
"""

# Resolves with the src of the selector's <img> once it is loaded and its name contains ``name``
# (typing "1.7" also renders t = 1 on the way: the file name says which frame arrived).
WAIT_IMAGE = """
const [selector, name, done] = arguments;
const start = Date.now();
(function poll() {
  const img = document.querySelector(selector);
  const ok = img && img.src && img.src.includes(name) && img.complete && img.naturalWidth > 0;
  if (ok || Date.now() - start > 30000) { done(img ? img.src : null); } else { setTimeout(poll, 100); }
})();
"""


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if int(p, 16) == port and state == "0A":                     # 0A = LISTEN
            out.add(".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return out


def fetch_mp4(url: str) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` frames of the mp4 at ``url``."""
    import av

    with urllib.request.urlopen(url, timeout=30) as r, av.open(_io.BytesIO(r.read())) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def luma(frames: np.ndarray) -> np.ndarray:
    return frames.astype(float) @ np.array([0.299, 0.587, 0.114])


def fetch_png(url: str) -> np.ndarray:
    with urllib.request.urlopen(url, timeout=30) as r:
        return np.asarray(Image.open(_io.BytesIO(r.read())).convert("RGB"))


@pytest.fixture
def server(digan_path, tmp_path):
    """``vidsynth app MODEL --port P`` in a subprocess; yields (url, first stdout line)."""
    port = _free_port()
    log = open(tmp_path / "app.log", "w+")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", GRADIO_TEMP_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "vidsynth", "app", str(digan_path), "--port", str(port),
                             "--outdir", str(tmp_path / "renders")], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):                                        # gradio's import is slow on a busy CPU
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"vidsynth app exited: {log.read()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("vidsynth app did not answer within 120 s")
        time.sleep(0.5)
        log.seek(0)
        yield url, port, log.read()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_app_in_chromium(server, digan_path, tmp_path):
    from tests.app.webdriver import AppDriver

    url, port, printed = server
    assert f"http://localhost:{port}/" in printed and "bound to 127.0.0.1: this machine only" in printed
    if Path("/proc/net/tcp").exists():
        assert listening_addresses(port) == {"127.0.0.1"}
    sampler = vidsynth.load(digan_path)

    def library_frame(seed, t):
        return to_uint8_frames(render.render_times(sampler, [t], 1, seed)[0])[0]

    browser = AppDriver(CHROMIUM, DRIVER)
    try:
        browser.open(url)
        still_0 = browser.run_async(WAIT_IMAGE, "#digan-still img", "seed0-still-t0.500.png")
        assert still_0, "no still frame on load"
        assert np.array_equal(fetch_png(still_0), library_frame(0, 0.5))

        browser.type("#digan-seed input", "7")                              # new seed: the still frame follows
        still_7 = browser.run_async(WAIT_IMAGE, "#digan-still img", "seed7-still-t0.500.png")
        assert still_7, "the still frame did not follow the seed"
        assert np.array_equal(fetch_png(still_7), library_frame(7, 0.5))

        browser.type("#digan-t-end input[type=number]", "2.5")               # extrapolate past the clip
        browser.type("#digan-frames input[type=number]", "12")
        browser.click("#digan-render")
        first = browser.run_async(WAIT_VIDEO, "#digan-video video", "")
        assert first and first["error"] is None, first
        assert first["ready"] >= 2 and first["time"] > 0.2 and not first["paused"], f"video does not play: {first}"
        assert first["width"] == 16 and "seed7-t0-2.5" in first["src"], first
        played = fetch_mp4(first["src"])                                   # the frames the page plays
        expected = to_uint8_frames(render.render_times(sampler, np.linspace(0, 2.5, 12), 1, 7)[0])
        # H.264 keeps luma within ~3 grey levels on average of these noise-like frames (see
        # test_app.py); another seed is ~50 away.
        assert played.shape == expected.shape and np.abs(luma(played) - luma(expected)).mean() < 6
        links = browser.run("return document.querySelector('#digan-files').innerText")
        assert ".mp4" in links and ".gif" in links                           # both offered for download

        browser.type("#digan-t-start input[type=number]", "-1")             # time range incl. t < 0
        browser.click("#digan-render")
        second = browser.run_async(WAIT_VIDEO, "#digan-video video", first["src"])
        assert second["src"] != first["src"] and "t-1-2.5" in second["src"], second
        assert second["ready"] >= 2 and second["time"] > 0.2 and not second["paused"], second

        browser.type("#digan-still-t input[type=number]", "1.7")             # the still-frame time slider
        still_t = browser.run_async(WAIT_IMAGE, "#digan-still img", "seed7-still-t1.700.png")
        assert still_t, "the still frame at t = 1.7 never arrived"
        frame = fetch_png(still_t)
        assert np.array_equal(frame, library_frame(7, 1.7))
        assert np.abs(frame.astype(int) - fetch_png(still_7)).mean() > 1     # the picture changed, not just the URL

        shot = tmp_path / "app.png"
        shot.write_bytes(browser.screenshot_png())
        requests = browser.requests()
    finally:
        browser.close()

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    web = [u for u in requests if u.split(":")[0] in ("http", "https", "ws", "wss")]
    assert web and all(u.startswith(f"http://127.0.0.1:{port}/") for u in web), \
        sorted({u for u in web if not u.startswith(f"http://127.0.0.1:{port}/")})
    keep = os.environ.get("VIDSYNTH_APP_SCREENSHOT")                       # set to keep the picture
    if keep:
        shutil.copy(shot, keep)
