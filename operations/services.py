"""Every run state change goes through here, with its audit event in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.services import record
from clusters.models import Cluster
from cnimgr.api.errors import Conflict, ServiceError
from cnimgr.redaction import redact, redact_text
from lifecycle import errors as engine_errors
from lifecycle.operations import KINDS
from operations import leases
from operations.models import Run, RunEvent, RunState

log = structlog.get_logger(__name__)
# Fail fast when the broker is down: the reconciler re-sends, so the API need not hang waiting for it.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def kind_spec(kind: str):
    spec = KINDS.get(kind)
    if spec is None:
        known = ", ".join(sorted(KINDS))
        raise ServiceError(f"Unknown run kind {kind!r}. Known kinds: {known}.", fields={"kind": ["unknown"]})
    return spec


def enqueue(run: Run) -> bool:
    """Send the run to the workers. If the broker is down the run stays queued and the reconciler re-sends it."""
    from operations.tasks import execute_run

    try:
        execute_run.apply_async((run.pk,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the database row is the source of truth
        log.warning("broker unavailable, run left queued", run=run.pk, error=f"{type(exc).__name__}: {exc}")
        append_event(run.pk, "The task queue is unreachable; the run stays queued and is sent when it is back.",
                     level="warning", step="queue")  # fmt: skip
        return False
    Run.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    return True


def start_run(*, cluster: Cluster, kind: str, params: dict | None = None, actor, retry_of: Run | None = None) -> Run:
    spec = kind_spec(kind)
    if not cluster.enabled:
        raise Conflict(f"Cluster '{cluster.name}' is disabled.", hint="Enable it first.")
    try:
        clean_params = spec.validate(dict(params or {}))
    except engine_errors.InvalidParams as exc:
        raise ServiceError(str(exc), fields={f"params.{exc.field}": [exc.message]}) from None
    with transaction.atomic():
        run = Run.objects.create(
            cluster=cluster, cluster_name=cluster.name, kind=kind, params=clean_params, mutating=spec.mutating,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_username=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
            retry_of=retry_of,
        )  # fmt: skip
        record("run.create", run, actor=actor, cluster=cluster.name, after=run.snapshot())
        transaction.on_commit(lambda: enqueue(run))
    return run


def start_runs(*, clusters, kind: str, params: dict | None = None, actor) -> tuple[list[Run], list[dict]]:
    """One run per cluster (e.g. a connectivity check across `env=prod`). Parameters are validated once, up front;
    a cluster that refuses (disabled) is reported and the others still start."""
    spec = kind_spec(kind)
    try:
        spec.validate(dict(params or {}))
    except engine_errors.InvalidParams as exc:
        raise ServiceError(str(exc), fields={f"params.{exc.field}": [exc.message]}) from None
    started, skipped = [], []
    for cluster in clusters:
        try:
            started.append(start_run(cluster=cluster, kind=kind, params=params, actor=actor))
        except ServiceError as exc:
            skipped.append({"cluster": cluster.name, "reason": exc.message})
    return started, skipped


def retry_run(run: Run, *, actor) -> Run:
    if not run.is_finished:
        raise Conflict(f"Run #{run.pk} is still {run.state}.")
    if run.cluster is None:
        raise Conflict(f"Cluster '{run.cluster_name}' no longer exists.")
    return start_run(cluster=run.cluster, kind=run.kind, params=run.params, actor=actor, retry_of=run)


def cancel_run(run: Run, *, actor) -> Run:
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.is_finished:
            raise Conflict(f"Run #{run.pk} has already finished ({run.state}).")
        before = run.snapshot()
        if run.state == RunState.QUEUED:
            _finish(run, RunState.CANCELLED, error="Cancelled before it started.")
            record("run.cancel", run, actor=actor, cluster=run.cluster_name, before=before, after=run.snapshot())
        else:
            run.cancel_requested = True
            run.save(update_fields=["cancel_requested"])
            record("run.cancel_requested", run, actor=actor, cluster=run.cluster_name, before=before,
                   after={**run.snapshot(), "cancel_requested": True})  # fmt: skip
    if run.state == RunState.CANCELLED:
        append_event(run.pk, "Cancelled before it started.", level="warning", step="cancel")
    return run


# --- worker side ------------------------------------------------------------------------------------------


def append_event(run_id: int, message: str, *, level: str = "info", step: str = "", data: dict | None = None,
                 seq: int | None = None) -> int:
    """Append one output line; returns its seq. A writer that knows the next seq (the run's reporter) passes it."""
    message, data = redact_text(message), redact(data or {})
    for _ in range(5):
        if seq is None:
            seq = (RunEvent.objects.filter(run_id=run_id).aggregate(m=Max("seq"))["m"] or 0) + 1
        try:
            if connection.in_atomic_block:  # a savepoint, so a taken seq does not break the caller's transaction
                with transaction.atomic():
                    RunEvent.objects.create(run_id=run_id, seq=seq, level=level, step=step, message=message, data=data)
            else:  # autocommit: a refused INSERT leaves nothing behind
                RunEvent.objects.create(run_id=run_id, seq=seq, level=level, step=step, message=message, data=data)
            return seq
        except IntegrityError:
            seq = None  # another writer took that seq (e.g. the reconciler); look again
    raise RuntimeError(f"could not append an event to run {run_id}")


def claim(run_id: int, worker: str) -> Run | None:
    """queued → running for exactly one worker, even if the message was delivered twice."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state != RunState.QUEUED:
            return None
        before = run.snapshot()
        now = timezone.now()
        run.state, run.started_at, run.heartbeat_at, run.worker = RunState.RUNNING, now, now, worker
        run.attempt += 1
        run.save(update_fields=["state", "started_at", "heartbeat_at", "worker", "attempt"])
        record("run.start", run, cluster=run.cluster_name, before=before, after=run.snapshot(),
               actor=run.actor)  # fmt: skip
    return run


def _finish(run: Run, state: str, *, summary=None, error: str = "", hint: str = "", tb: str = "") -> None:
    run.state, run.finished_at = state, timezone.now()
    run.summary = redact(summary) if summary is not None else run.summary
    run.error, run.hint, run.traceback = redact_text(error), redact_text(hint), redact_text(tb)
    run.save(update_fields=["state", "finished_at", "summary", "error", "hint", "traceback"])


AUDITED_OUTCOME = ("version", "from_version", "namespace", "content_hash", "changed", "applied", "pruned",
                   "kubernetes_version", "missing")  # fmt: skip


def outcome_digest(summary) -> dict:
    """What the audit trail keeps of a run's result: enough to answer "what exactly was applied, and did it
    work" (release, manifests' hash, objects applied and pruned, failed checks, the CNI version seen after),
    without the manifests themselves, which stay on the run."""
    if not isinstance(summary, dict):
        return {}
    partial = summary.get("result")  # a failed install/upgrade carries what it had done so far
    source = partial if isinstance(partial, dict) else summary
    digest = {key: source[key] for key in AUDITED_OUTCOME if key in source}
    checks = summary.get("checks") if isinstance(summary.get("checks"), dict) else source.get("checks")
    if isinstance(checks, dict):
        digest["checks_failed"] = list(checks.get("failed") or [])
        digest["checks_warned"] = list(checks.get("warnings") or [])
    cni = ((source.get("observed") or {}).get("cni") or {}) if isinstance(source.get("observed"), dict) else {}
    if cni:
        digest["cni_version_after"] = cni.get("version") if cni.get("installed") else None
    return digest


def finish(run: Run, state: str, *, summary=None, error: str = "", hint: str = "", tb: str = "") -> bool:
    """Close a run, fenced by its attempt: a worker that lost the run cannot overwrite the outcome."""
    with transaction.atomic():
        current = Run.objects.select_for_update().get(pk=run.pk)
        if current.state != RunState.RUNNING or current.attempt != run.attempt:
            return False
        before = current.snapshot()
        _finish(current, state, summary=summary, error=error, hint=hint, tb=tb)
        after = {**current.snapshot(), "outcome": outcome_digest(current.summary)}
        record(f"run.{state}", current, cluster=current.cluster_name, before=before, after=after,
               actor=current.actor, message=current.error)  # fmt: skip
        if current.cluster_id and summary:
            _write_observed(current.cluster_id, summary)
    run.state = state
    return True


def _write_observed(cluster_id: int, summary: dict, *, taken_at=None) -> None:
    """Copy what a run learnt about the cluster onto the cluster row (the fleet page reads it from there).

    ``taken_at``: when the look began; a slow look never overwrites one that was recorded after it began."""
    fields: dict = {}
    if summary.get("kubernetes_version"):
        fields.update(kubernetes_version=summary["kubernetes_version"], reachable=True)
    if isinstance(summary.get("missing"), list):
        fields["missing_permissions"] = summary["missing"]
    if summary.get("kind") in ("unreachable", "tls"):  # a ClusterError: the API server could not be reached
        fields["reachable"] = False
    observed = summary.get("observed")
    if isinstance(observed, dict):
        observed = {k: v for k, v in observed.items() if k not in ("last_error", "last_error_at")}
        cni, cp = observed.get("cni") or {}, observed.get("control_plane") or {}
        fields.update(
            observed=observed, observed_at=timezone.now(), reachable=True,
            kubernetes_version=(observed.get("kubernetes") or {}).get("version") or "",
            cni_version=(cni.get("version") or "") if cni.get("installed") else "",
            cni_installed_by=(cni.get("installed_by") or "") if cni.get("installed") else "",
            control_plane_version=(cp.get("version") or "") if cp.get("installed") else "",
            cni_enabled=cp.get("cniEnabled") if cp.get("installed") else None,
        )  # fmt: skip
    if fields:
        rows = Cluster.objects.filter(pk=cluster_id)
        if taken_at is not None:
            rows = rows.filter(Q(observed_at__isnull=True) | Q(observed_at__lt=taken_at))
        rows.update(**fields)


def heartbeat(run: Run) -> bool:
    return bool(
        Run.objects.filter(pk=run.pk, attempt=run.attempt, state=RunState.RUNNING).update(heartbeat_at=timezone.now())
    )


def reconcile() -> dict:
    """Fail runs whose worker stopped heart-beating; re-send queued runs whose message may have been lost."""
    now = timezone.now()
    lost_before = now - timedelta(seconds=settings.CNIMGR_LEASE_SECONDS)
    lost, resent = 0, 0
    for run in Run.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=lost_before):
        message = f"The worker running this ({run.worker or 'unknown'}) stopped responding; the run was abandoned."
        hint = "Look at the cluster's state (run a check), then retry the run."
        if finish(run, RunState.ERRORED, error=message, hint=hint):
            append_event(run.pk, message, level="error", step="reconcile")
            if run.cluster_id:
                leases.release(run.cluster_id, run.pk)
            lost += 1
    resend_before = now - timedelta(seconds=settings.CNIMGR_QUEUED_RESEND_SECONDS)
    stale = Q(enqueued_at__lt=resend_before) | Q(enqueued_at__isnull=True, created_at__lt=resend_before)
    for run in Run.objects.filter(stale, state=RunState.QUEUED):
        resent += enqueue(run)
    return {"lost": lost, "resent": resent}
