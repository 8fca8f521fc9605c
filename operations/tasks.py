"""Thin Celery entry points."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from operations import runner, services
from operations.models import Run


@shared_task(bind=True, acks_late=True, max_retries=None, name="operations.tasks.execute_run")
def execute_run(self, run_id: int):
    try:
        return runner.execute(run_id)
    except runner.LeaseBusy as busy:
        wait = settings.CNIMGR_LEASE_RETRY_SECONDS
        Run.objects.filter(pk=run_id).update(enqueued_at=timezone.now())  # still in flight: no re-send needed
        services.append_event(
            run_id, f"Waiting: run #{busy.holder_run_id} is changing this cluster; retrying in {wait}s.",
            level="info", step="queue",
        )  # fmt: skip
        raise self.retry(countdown=wait) from None


@shared_task(name="operations.tasks.reconcile_runs")
def reconcile_runs():
    return services.reconcile()
