"""Drive headless Chromium from the standard library: chromedriver's W3C WebDriver HTTP API for
checks run inside the page, and ``chromium --headless --screenshot`` for a picture. No selenium."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


def find_browser() -> tuple[str | None, str | None, str]:
    """(chromium, chromedriver, reason-if-missing)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if chromium is None:
        return None, None, "chromium is not installed (run scripts/install_chromium.sh)"
    if driver is None:
        return chromium, None, "chromedriver is not installed (Debian package chromium-driver)"
    return chromium, driver, ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """A minimal W3C WebDriver client: ``open(url)``, ``run(script)``, ``run_async(script)``."""

    def __init__(self, chromium: str, driver: str, window=(1280, 2400), extra_args=(), capabilities=None):
        """``extra_args``: more Chromium flags; ``capabilities``: more W3C ``alwaysMatch`` entries."""
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="vidsynth-chromium-")
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                self._call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        args = CHROMIUM_FLAGS + list(extra_args) + [f"--user-data-dir={self.profile}",
                                                     f"--window-size={window[0]},{window[1]}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", **(capabilities or {}),
                                                 "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        self.session = self._call("POST", "/session", caps)["value"]["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None, timeout: float = 120):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def open(self, url: str) -> None:
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script: str, *args):
        body = {"script": script, "args": list(args)}
        return self._call("POST", f"/session/{self.session}/execute/sync", body)["value"]

    def run_async(self, script: str, *args, timeout_ms: int = 30000):
        self._call("POST", f"/session/{self.session}/timeouts", {"script": timeout_ms})
        return self._call("POST", f"/session/{self.session}/execute/async",
                          {"script": script, "args": list(args)})["value"]

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def screenshot(chromium: str, url: str, out: Path, window=(1280, 2400), timeout: float = 120) -> Path:
    """``chromium --headless --screenshot``: a PNG of the page at ``window`` size."""
    with tempfile.TemporaryDirectory(prefix="vidsynth-chromium-") as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                        f"--window-size={window[0]},{window[1]}", "--virtual-time-budget=3000", url],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    return out
