#!/usr/bin/env bash
# Set up Lagebild on a fresh Debian machine with Python 3.11:
#   scripts/setup.sh        virtual environment .venv with the app's dependencies
#   scripts/setup.sh test   additionally the test dependencies, Debian's chromium (browser tests) and
#                           PostgreSQL with PostGIS (the tests start a throwaway cluster of their own)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-app}"
PY="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Lagebild braucht Python 3.11 oder neuer." >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    apt_install python3-venv          # Debian ships venv/ensurepip separately
    "$PY" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$target" = test ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || apt_install chromium fonts-dejavu-core poppler-utils
  # PostgreSQL + PostGIS for the store tests on the PostGIS backend (no service is started here)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  pg_major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  if [ -n "$pg_major" ] && ! ls /usr/share/postgresql/"$pg_major"/extension/postgis.control >/dev/null 2>&1; then
    apt_install "postgresql-$pg_major-postgis-3"
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
