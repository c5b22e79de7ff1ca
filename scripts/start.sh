#!/usr/bin/env bash
# One command on a fresh machine: install, build the graph, start the app on the embedded store.
#   PORT=8501 scripts/start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
oretrace build
exec oretrace app --port "${PORT:-8501}"
