"""The engine's Reporter, backed by RunEvent rows and a heartbeat thread."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from lifecycle.reporting import Cancelled
from operations import leases, services
from operations.models import Run


class LeaseLost(Cancelled):
    """Another worker owns this run or cluster now; stop without writing anything more."""


class RunReporter:
    PROGRESS_INTERVAL = 1.0

    def __init__(self, run: Run, lease_token: int | None = None):
        self.run = run
        self.lease_token = lease_token
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._last_progress = 0.0
        self._seq: int | None = None  # the last seq written, so appends need no MAX() query
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-run-{run.pk}", daemon=True)

    # Reporter protocol -------------------------------------------------------------------------------------
    def event(self, message, *, level="info", step="", data=None) -> None:
        next_seq = self._seq + 1 if self._seq is not None else None
        self._seq = services.append_event(self.run.pk, message, level=level, step=step, data=data, seq=next_seq)

    def progress(self, done: int, total: int, *, step: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last_progress < self.PROGRESS_INTERVAL:
            return
        self._last_progress = now
        Run.objects.filter(pk=self.run.pk, attempt=self.run.attempt).update(
            progress_done=done, progress_total=total, progress_step=step
        )

    def checkpoint(self) -> None:
        if self.lost.is_set():
            raise LeaseLost("this worker lost the run (its heartbeat expired and it was taken over or closed)")
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled("cancellation requested")

    # heartbeat ---------------------------------------------------------------------------------------------
    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        interval = max(1.0, settings.CNIMGR_LEASE_SECONDS / 4)
        try:
            while not self._stop.wait(interval):
                close_old_connections()
                alive = services.heartbeat(self.run)
                if alive and self.lease_token is not None and self.run.cluster_id:
                    alive = leases.renew(self.run.cluster_id, self.run.pk, self.lease_token)
                if not alive:
                    self.lost.set()
                    return
        finally:
            connection.close()
