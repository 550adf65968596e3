#!/usr/bin/env bash
# Install Trellis into .venv and serve it in embedded mode (SQLite, in-process jobs, no
# configuration), with the web UI built into web/dist when Node.js 20.19+ is installed.
# Arguments go to `trellis serve` (e.g. scripts/serve.sh --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
echo "==> installing trellis into .venv" >&2
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e . 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
scripts/web-build.sh  # the UI, when Node.js is here; skipped when web/dist is up to date
exec .venv/bin/trellis serve "$@"
