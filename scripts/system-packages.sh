#!/usr/bin/env bash
# Install the Debian packages fangpin needs when they are missing: libmagic (the type of an uploaded
# file is read from its content), Pango, HarfBuzz's subsetter and Noto
# CJK fonts for the printable PDFs (WeasyPrint; without the subsetter embedding the 20 MB CJK fonts
# takes half a minute a PDF instead of a second or two), and with "browser" also Chromium.
set -euo pipefail
# The checks let grep read all of its input: `grep -q` stops early, and under pipefail the writer's
# broken pipe would count as "missing".
packages=()
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0.so.0" >/dev/null || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep "libharfbuzz-subset.so.0" >/dev/null || packages+=(libharfbuzz-subset0)
ldconfig -p 2>/dev/null | grep "libmagic.so.1" >/dev/null || packages+=(libmagic1)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || packages+=(fonts-noto-cjk)
if [ "${1:-}" = "browser" ] && [ ! -x /usr/bin/chromium ]; then
  packages+=(chromium)
fi
[ ${#packages[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${packages[*]} from Debian's packages" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
