#!/usr/bin/env bash
# Install what oretrace needs on a fresh Debian machine. Idempotent: skips what is present.
#   scripts/setup.sh          runtime: Python packages, a Java runtime for HermiT, the app's npm assets
#   scripts/setup.sh --test   also what the tests need: pytest, Playwright and Debian's Chromium, Virtuoso
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '==> %s\n' "$*" >&2; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then say "apt-get update"; apt-get update -qq >&2; apt_updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

if ! command -v java >/dev/null 2>&1; then apt_install default-jre-headless; fi
if [ "$want_test" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium chromium-driver; fi
  # the Virtuoso tests (tests/test_virtuoso*.py) need a real Virtuoso server
  # and its ODBC driver under unixODBC (oretrace.virtuoso talks to it through pyodbc)
  if ! command -v virtuoso-t >/dev/null 2>&1 || ! ls /usr/lib/*/libodbc.so.2 >/dev/null 2>&1 \
     || ! ls /usr/lib/*/odbc/virtodbc_r.so >/dev/null 2>&1; then
    apt_install virtuoso-opensource unixodbc libvirtodbc0
  fi
fi

extras=""
[ "$want_test" = 1 ] && extras="[test]"
say "pip install -e .$extras (skips what is already installed)"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".$extras" >&2

if [ -f app/package.json ]; then
  if [ ! -d app/node_modules ] || [ app/package-lock.json -nt app/node_modules ]; then
    say "npm ci --prefix app (front-end assets)"
    npm ci --prefix app --no-audit --no-fund --loglevel=error >&2
  fi
  python3 app/setup_assets.py >&2
fi
