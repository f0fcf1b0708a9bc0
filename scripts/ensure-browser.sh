#!/usr/bin/env bash
# Find a Chromium the harness can drive; install Debian's `chromium` package when none is found,
# and Debian's Japanese/Chinese/Korean fonts (fonts-noto-cjk) beside it, so that screenshots and
# traces of Japanese pages show text, not empty boxes.
# A user's own browser: set CHECKOUT_HARNESS_BROWSER=/path/to/chrome (or pass --browser); then
# nothing is installed.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=""
apt_install() {
  if [ -z "$updated" ]; then $SUDO apt-get update -qq; updated=1; fi
  $SUDO apt-get install -y -qq "$@" >/dev/null
}

has_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja family 2>/dev/null | head -n 1)" ]
}

if [ -n "${CHECKOUT_HARNESS_BROWSER:-}" ] && [ -x "${CHECKOUT_HARNESS_BROWSER}" ]; then
  exit 0
fi
browser=""
for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -x "$candidate" ]; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
  echo "No Chromium found: installing Debian's chromium package and CJK fonts (fonts-noto-cjk) (set CHECKOUT_HARNESS_BROWSER to use your own browser)."
  apt_install chromium fonts-noto-cjk
  test -x /usr/bin/chromium
elif ! has_cjk_font; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "No Japanese font found: installing Debian's fonts-noto-cjk (Japanese pages in screenshots and traces)."
    apt_install fonts-noto-cjk fontconfig
  else
    echo "warning: no Japanese font found; screenshots of Japanese pages will show empty boxes." >&2
  fi
fi
