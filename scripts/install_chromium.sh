#!/bin/sh
# Install headless Chromium and chromedriver (Debian packages) for the report browser test,
# only when /usr/bin/chromium is missing. Called from .ci/run; needs root (apt-get).
set -e
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null)"
    exit 0
fi
apt-get update
apt-get install -y chromium chromium-driver
