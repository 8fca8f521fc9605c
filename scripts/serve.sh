#!/usr/bin/env bash
# One command to run cnimgr on embedded defaults: SQLite and a filesystem broker in ./var, no other services.
#   bash scripts/serve.sh            web + worker + beat on http://127.0.0.1:8000
#   bash scripts/serve.sh --demo     the same, plus a local demo fleet of real Kubernetes API servers
# Environment: CNIMGR_ADMIN_PASSWORD (else one is generated and printed once), CNIMGR_PORT (8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-cnimgr.settings.local}"
PORT="${CNIMGR_PORT:-8000}"
PY=.venv/bin/python

$PY manage.py migrate --no-input -v 0
$PY manage.py collectstatic --no-input -v 0
$PY manage.py bootstrap_admin

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo "[cnimgr] stopping" >&2
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The demo fleet first: its processes are detached and would outlive this script.
  if [ "${DEMO:-0}" = 1 ]; then $PY -m testbed down >&2 || echo "[cnimgr] stop the demo fleet with: $PY -m testbed down" >&2; fi
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if [ "${1:-}" = "--demo" ]; then
  DEMO=1
  echo "[cnimgr] demo: building test-bed binaries if missing (first time: tens of minutes)" >&2
  bash testbed/build.sh >/dev/null
  $PY -m testbed up --clusters "${CNIMGR_DEMO_CLUSTERS:-3}" --nodes "${CNIMGR_DEMO_NODES:-4}" >&2
  $PY manage.py register_testbed
fi

.venv/bin/celery -A cnimgr worker -B --pool threads --concurrency 4 --loglevel INFO \
  --schedule "$($PY -c 'from django.conf import settings; import django; django.setup(); print(settings.CELERY_BEAT_SCHEDULE_FILENAME)')" &
PIDS+=($!)
.venv/bin/gunicorn cnimgr.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --access-logfile - &
PIDS+=($!)
sleep 2
echo
echo "  cnimgr is running:  http://127.0.0.1:$PORT/    (API: http://127.0.0.1:$PORT/api/v1/docs/)"
echo "  Press Ctrl-C to stop."
echo
wait -n "${PIDS[@]}"
