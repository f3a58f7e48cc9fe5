#!/usr/bin/env bash
# Install a headless browser for tests/integration/test_report.py (Debian's chromium).
# Idempotent: does nothing when chromium is already on PATH. Needs root (or sudo) and apt.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    chromium --version
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
chromium --version
