#!/usr/bin/env bash
# Run every test of partywidget on this machine, installing what they need first:
# Debian's chromium (headless browser tests) and redis-server when run as root, the package with
# its test extras (which builds the widget bundle with npm), and the npm
# packages of the Node interop tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -x /usr/bin/redis-server ] || missing="$missing redis-server"  # the Redis backend's tests
if [ "$(id -u)" = 0 ] && [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $missing >/dev/null
fi

python -m pip install -q --disable-pip-version-check -e ".[test,bench]"

if [ -f tests/node/package-lock.json ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ -f tests/hub/package-lock.json ]; then
  (cd tests/hub && npm ci --no-audit --no-fund --loglevel=error)
fi

python -m pytest -p no:cacheprovider "$@"
