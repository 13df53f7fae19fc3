"""Open the report in headless Chromium: videos load and play, plots render; save a screenshot."""
import os
import shutil
from pathlib import Path

import pytest

from tests.report.browser import WebDriver, find_browser, screenshot
from vidsynth.report import write_report

CHROMIUM, DRIVER, MISSING = find_browser()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING)

# Resolves with the state of every <video> and plot <img> once each video has played past 0.2 s
# (or after 15 s, so a failure reports what it saw instead of hanging).
WAIT_AND_INSPECT = """
const done = arguments[arguments.length - 1];
const videos = Array.from(document.querySelectorAll('video'));
videos.forEach(v => { v.muted = true; v.play().catch(() => {}); });
const start = Date.now();
(function poll() {
  const played = videos.every(v => v.currentTime > 0.2 || v.hidden);
  if (played || Date.now() - start > 15000) {
    done({
      videos: videos.map(v => ({ready: v.readyState, time: v.currentTime, paused: v.paused, hidden: v.hidden,
                                error: v.error ? v.error.code : null, width: v.videoWidth})),
      plots: Array.from(document.querySelectorAll('img.plot')).map(i => ({complete: i.complete, w: i.naturalWidth})),
      gifs: Array.from(document.querySelectorAll('img[id^=fallback]'))
                 .map(i => ({w: i.naturalWidth, hidden: i.hidden})),
    });
  } else { setTimeout(poll, 200); }
})();
"""


def test_report_plays_in_chromium(run_dir, tmp_path):
    page = write_report(run_dir)
    browser = WebDriver(CHROMIUM, DRIVER)
    try:
        browser.open(page.resolve().as_uri())
        state = browser.run_async(WAIT_AND_INSPECT)
    finally:
        browser.close()
    assert len(state["videos"]) >= 3, state
    for v in state["videos"]:
        assert v["error"] is None and not v["hidden"], f"video failed to load: {state}"
        assert v["ready"] >= 2 and v["width"] > 0, f"video not loaded: {state}"      # HAVE_CURRENT_DATA
        assert v["time"] > 0.2 and not v["paused"], f"video does not play: {state}"
    assert len(state["plots"]) >= 4
    assert all(p["complete"] and p["w"] > 0 for p in state["plots"]), state
    assert all(g["w"] > 0 for g in state["gifs"]), state                          # fallback decodes too

    shot = screenshot(CHROMIUM, page.resolve().as_uri(), tmp_path / "report.png")
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("VIDSYNTH_REPORT_SCREENSHOT")      # set to keep the picture for a look
    if keep:
        shutil.copy(shot, Path(keep))
        shutil.copy(page, Path(keep).with_suffix(".html"))
