#!/usr/bin/env bash
# Install the test dependencies (and Chromium + CJK fonts for browser tests and PDFs) and run the suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh test
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
export FANGPIN_DATA_DIR="${FANGPIN_DATA_DIR:-$PWD/var/test}"
exec .venv/bin/python -m pytest "$@"
