#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install fangpin into it (extras in $1, e.g. "test").
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "fangpin needs Python 3.11 or newer ($("$python" --version) found)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
.venv/bin/python -m pip install --quiet --editable "$spec"
