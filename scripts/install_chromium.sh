#!/bin/sh
# Install headless Chromium and chromedriver (Debian packages) for the report browser test,
# only when they are missing. Called from .ci/run; needs root (apt-get). Exits non-zero if, afterwards,
# the browser test would still not find both (tests/report/browser.py: find_browser).
set -e
have() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
         || command -v google-chrome >/dev/null 2>&1; }
if have && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium and chromedriver already installed"
    exit 0
fi
apt-get update
apt-get install -y chromium chromium-driver
if ! have || ! command -v chromedriver >/dev/null 2>&1; then
    echo "error: chromium or chromedriver still missing after apt-get install; the browser test cannot run" >&2
    exit 1
fi
