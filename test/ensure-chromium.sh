#!/usr/bin/env bash
# The browser tests run in Debian's chromium. Install it when it is missing and
# this machine can (root with apt-get); otherwise say how, and fail.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  command -v chromium
  exit 0
fi
echo "The browser tests need Chromium on PATH as 'chromium' (Debian: sudo apt-get install -y chromium)." >&2
exit 1
