"""Thin Celery entry points."""

from __future__ import annotations

from celery import shared_task

from operations import runner, services

LEASE_RETRY_SECONDS = 15


@shared_task(bind=True, acks_late=True, max_retries=None, name="operations.tasks.execute_run")
def execute_run(self, run_id: int):
    try:
        return runner.execute(run_id)
    except runner.LeaseBusy as busy:
        services.append_event(
            run_id, f"Waiting: run #{busy.holder_run_id} is changing this cluster; retrying in {LEASE_RETRY_SECONDS}s.",
            level="info", step="queue",
        )  # fmt: skip
        raise self.retry(countdown=LEASE_RETRY_SECONDS) from None


@shared_task(name="operations.tasks.reconcile_runs")
def reconcile_runs():
    return services.reconcile()
