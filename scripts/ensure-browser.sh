#!/usr/bin/env bash
# Find a Chromium the harness can drive; install Debian's `chromium` package when none is found.
# A user's own browser: set CHECKOUT_HARNESS_BROWSER=/path/to/chrome (or pass --browser).
set -euo pipefail
for candidate in "${CHECKOUT_HARNESS_BROWSER:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done
echo "No Chromium found: installing Debian's chromium package (set CHECKOUT_HARNESS_BROWSER to use your own)."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
