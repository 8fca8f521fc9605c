"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: it can do its work: the database and the
broker answer). Load balancers and Kubernetes probes use these; neither needs a login, so neither says more than
"ok" or which dependency failed."""

from __future__ import annotations

import time

import structlog
from django.db import connection
from django.http import JsonResponse

log = structlog.get_logger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def healthz(_request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from cnimgr.celery import app

    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": _database, "broker": _broker}


def readyz(_request):
    results, ready = {}, True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; the detail goes to the log only
            ready = False
            results[name] = "unavailable"
            log.warning("readiness check failed", check=name, error=f"{type(exc).__name__}: {exc}")
        else:
            results[name] = "ok"
        results[f"{name}_ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)
