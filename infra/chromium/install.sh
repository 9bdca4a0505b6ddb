#!/usr/bin/env bash
# Headless Chromium for the report's browser test (Debian's `chromium` package). Idempotent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then echo "chromium: $(chromium --version 2>/dev/null | head -1)"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then echo "chromium: no apt-get here; install chromium yourself (the report test skips without it)" >&2; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(chromium --version 2>/dev/null | head -1)"
