"""A WebDriver session for the app test: the report test's stdlib client (``tests/report/browser.py``)
plus element clicks and typing, with DNS closed to everything but localhost and every network
request the page makes recorded (Chrome's performance log)."""
from __future__ import annotations

import json

from tests.report.browser import WebDriver

# Any host name other than localhost resolves to nothing: the page must work with the network closed.
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"]


class AppDriver(WebDriver):
    """``find``, ``click``, ``type``, and ``requests()``: the URLs of every request the page made."""

    def __init__(self, chromium: str, driver: str, window=(1280, 1100)):
        super().__init__(chromium, driver, window, extra_args=OFFLINE_FLAGS,
                         capabilities={"goog:loggingPrefs": {"performance": "ALL"}})

    def find(self, css: str) -> str:
        found = self._call("POST", f"/session/{self.session}/element", {"using": "css selector", "value": css})
        return next(iter(found["value"].values()))

    def click(self, css: str) -> None:
        self._call("POST", f"/session/{self.session}/element/{self.find(css)}/click", {})

    def type(self, css: str, text: str) -> None:
        """Clear the input at ``css`` and type ``text`` (real key events), then Tab out of it."""
        element = self.find(css)
        self._call("POST", f"/session/{self.session}/element/{element}/clear", {})
        self._call("POST", f"/session/{self.session}/element/{element}/value", {"text": text + "\ue004"})

    def requests(self) -> list[str]:
        """URLs of every network request the page has made so far (drains Chrome's performance log)."""
        entries = self._call("POST", f"/session/{self.session}/se/log", {"type": "performance"})["value"]
        urls = []
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def screenshot_png(self) -> bytes:
        import base64

        return base64.b64decode(self._call("GET", f"/session/{self.session}/screenshot")["value"])
