#!/usr/bin/env bash
# Install the test dependencies (and Chromium, Pango and CJK fonts for browser tests and PDFs) and run the suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`. Tests run on every core
# (`-n auto`); a `-n N` given here wins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh test
bash scripts/system-packages.sh browser
export FANGPIN_DATA_DIR="${FANGPIN_DATA_DIR:-$PWD/var/test}"
exec .venv/bin/python -m pytest -n auto "$@"
