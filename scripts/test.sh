#!/usr/bin/env bash
# One command on a fresh machine: install what the tests need (Java, Chromium, Python and npm
# packages), then run every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec python3 -m pytest -q -p no:cacheprovider "$@"
