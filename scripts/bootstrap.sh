#!/usr/bin/env bash
# Create .venv and install cnimgr with pinned dependencies; re-installs only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "[cnimgr] creating virtual environment (.venv) with $PYTHON" >&2
  "$PYTHON" -m venv .venv
fi
STAMP=.venv/.cnimgr-installed
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "[cnimgr] installing dependencies" >&2
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[test]' >&2
  echo "$WANT" > "$STAMP"
fi
