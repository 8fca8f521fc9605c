#!/usr/bin/env bash
# One command to run the whole test suite:  bash scripts/test.sh [pytest args]
# Uses DATABASE_URL / CELERY_BROKER_URL when set (CI: PostgreSQL and Redis), otherwise SQLite and a private
# redis-server started here. Builds the Kubernetes test-bed binaries first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=cnimgr.settings.test

echo "[test] lint" >&2
.venv/bin/ruff check .
echo "[test] django checks" >&2
$PY manage.py check
$PY manage.py makemigrations --check --dry-run >/dev/null || { echo "missing migrations: run manage.py makemigrations" >&2; exit 1; }

echo "[test] test-bed binaries" >&2
export CNIMGR_TESTBED_BIN="${CNIMGR_TESTBED_BIN:-$(bash testbed/build.sh | tail -1)}"

REDIS_PID=""
if [ -z "${CELERY_BROKER_URL:-}" ]; then
  if command -v redis-server >/dev/null; then
    REDIS_PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
    REDIS_PID=$!
    export CNIMGR_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  fi
else
  export CNIMGR_TEST_REDIS_URL="$CELERY_BROKER_URL"
fi
trap '[ -n "$REDIS_PID" ] && kill $REDIS_PID 2>/dev/null; true' EXIT

echo "[test] pytest (database: ${DATABASE_URL:-sqlite})" >&2
$PY -m pytest "$@"
