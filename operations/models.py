from __future__ import annotations

from django.conf import settings
from django.db import models


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # the cluster or a check said no
    ERRORED = "errored", "Errored"  # an unexpected exception; the traceback is kept
    CANCELLED = "cancelled", "Cancelled"


RunState.ACTIVE = (RunState.QUEUED, RunState.RUNNING)
RunState.FINISHED = (RunState.SUCCEEDED, RunState.FAILED, RunState.ERRORED, RunState.CANCELLED)


class Run(models.Model):
    """One operation on one cluster. Its definition (kind, params) never changes once created."""

    cluster = models.ForeignKey("clusters.Cluster", null=True, on_delete=models.SET_NULL, related_name="runs")
    cluster_name = models.CharField(max_length=100, db_index=True)  # kept if the cluster is deleted
    kind = models.CharField(max_length=32, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    mutating = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.QUEUED, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    attempt = models.PositiveIntegerField(default=0, help_text="Fencing token: bumped each time a worker claims it")
    cancel_requested = models.BooleanField(default=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["cluster", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} on {self.cluster_name}"

    @property
    def is_finished(self) -> bool:
        return self.state in RunState.FINISHED

    @property
    def percent(self) -> int:
        if self.is_finished and self.state == RunState.SUCCEEDED:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    def snapshot(self) -> dict:
        return {"kind": self.kind, "cluster": self.cluster_name, "params": self.params, "state": self.state,
                "error": self.error, "attempt": self.attempt}  # fmt: skip


class RunEvent(models.Model):
    """Append-only output of a run."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=10, default="info")
    step = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="runevent_unique_seq")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.seq} {self.message[:60]}"


class ClusterLease(models.Model):
    """At most one mutating run per cluster. `token` is a fencing token: a holder whose token changed lost it."""

    cluster = models.OneToOneField("clusters.Cluster", on_delete=models.CASCADE, primary_key=True, related_name="lease")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease on {self.cluster_id} held by run {self.run_id} (token {self.token})"
