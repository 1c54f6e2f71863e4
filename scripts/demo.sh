#!/usr/bin/env bash
# The README's demo command: install partywidget from this checkout with its
# `demo` extra (JupyterLab, which brings ipykernel; the build compiles the widget
# bundle with npm), then open JupyterLab on notebooks/01-quickstart.ipynb with rooms on the embedded default storage.
# Extra arguments go to `partywidget demo` (e.g. --port 8890, --no-browser).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q --disable-pip-version-check ".[demo]"
exec python -m partywidget demo "$@"
