#!/usr/bin/env bash
# Install into .venv and start the demo county on http://127.0.0.1:8000 (extra arguments go to `fangpin demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup-venv.sh
exec .venv/bin/fangpin demo "$@"
