#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is at /usr/bin/chromium for the docs browser test
# (tests/test_docs_site.py). Idempotent: does nothing when it is already installed.
# Installs only as root (the project's machines and CI run as root); otherwise it says what to run.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_chromium: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_chromium: $CHROMIUM is missing and we are not root; install it with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
fi

echo "install_chromium: $CHROMIUM is missing; running apt-get update"
apt-get update -qq
echo "install_chromium: running apt-get install -y -qq chromium"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
echo "install_chromium: installed $("$CHROMIUM" --version)"
