"""Executes one run: lease, claim, drive the engine, record the outcome. Called by the Celery task."""

from __future__ import annotations

import socket
import traceback

import structlog
from django.conf import settings

from clusters.models import Cluster
from cnimgr.redaction import remember_secret
from lifecycle.kube import ClusterConnection, classify_error
from lifecycle.operations import KINDS
from lifecycle.reporting import Cancelled, OperationFailed
from operations import leases, services
from operations.models import Run, RunState
from operations.reporter import LeaseLost, RunReporter

log = structlog.get_logger(__name__)
WORKER = f"{socket.gethostname()}"


class LeaseBusy(Exception):
    def __init__(self, holder_run_id: int | None):
        super().__init__(f"cluster lease held by run {holder_run_id}")
        self.holder_run_id = holder_run_id


def connection_for(cluster: Cluster) -> ClusterConnection:
    for secret in (cluster.token, cluster.client_key):
        remember_secret(secret)  # whatever this run writes is scrubbed of them
    return ClusterConnection(
        name=cluster.name,
        server=cluster.server,
        ca_pem=cluster.ca_bundle,
        token=cluster.token,
        client_cert_pem=cluster.client_certificate,
        client_key_pem=cluster.client_key,
        forbidden_networks=settings.CNIMGR_FORBIDDEN_NETWORKS,
    )


def execute(run_id: int, worker: str = WORKER) -> str | None:
    """Run it if it is still queued. Raises LeaseBusy when another mutating run holds the cluster."""
    run = Run.objects.select_related("cluster").filter(pk=run_id).first()
    if run is None or run.state != RunState.QUEUED:
        return None  # duplicate delivery, or cancelled while queued
    lease_token = None
    if run.mutating and run.cluster_id:
        lease_token, holder = leases.acquire(run.cluster_id, run.pk)
        if lease_token is None:
            raise LeaseBusy(holder)
    claimed = services.claim(run_id, worker)
    if claimed is None:
        if lease_token is not None:
            leases.release(run.cluster_id, run.pk, lease_token)
        return None
    try:
        return _drive(claimed, lease_token)
    finally:
        if lease_token is not None:
            leases.release(claimed.cluster_id, claimed.pk, lease_token)


def _drive(run: Run, lease_token: int | None) -> str:
    log.info("run started", run=run.pk, kind=run.kind, cluster=run.cluster_name, attempt=run.attempt)
    spec = KINDS[run.kind]
    if run.cluster is None:
        services.finish(run, RunState.FAILED, error="The cluster was deleted before the run started.")
        return RunState.FAILED
    try:
        connection = connection_for(run.cluster)
    except ValueError as exc:  # e.g. an http:// server or missing credentials: the registration needs fixing
        services.append_event(run.pk, f"cannot connect: {exc}", level="error", step="start")
        services.finish(run, RunState.FAILED, error=f"The cluster's connection settings are unusable: {exc}.",
                        hint="Edit the cluster: an https:// server URL and a token or client certificate are needed.")
        return RunState.FAILED
    state, summary, error, hint, tb = RunState.SUCCEEDED, None, "", "", ""
    with RunReporter(run, lease_token) as reporter:
        try:
            who = run.actor_username or "system"
            reporter.event(f"{run.kind} on {run.cluster_name} started by {who}", step="start",
                           data={"worker": run.worker, "attempt": run.attempt})  # fmt: skip
            reporter.checkpoint()
            summary = spec.run(connection, run.params, reporter)
        except LeaseLost as exc:
            log.warning("run lost its lease", run=run.pk, error=str(exc))
            return "lost"
        except Cancelled:
            state, error = RunState.CANCELLED, "Cancelled on request."
        except OperationFailed as exc:  # includes ClusterError: the cluster said no
            state, error, hint = RunState.FAILED, str(exc), exc.hint
            summary = exc.data or None  # what was learnt before the refusal (e.g. the missing permissions)
        except Exception as exc:  # noqa: BLE001 - any other exception is our bug: keep the traceback
            try:
                classified = classify_error(exc)
                state, error, hint = RunState.FAILED, str(classified), classified.hint
            except TypeError:
                state, error, tb = RunState.ERRORED, f"{type(exc).__name__}: {exc}", traceback.format_exc()
                hint = "This is a cnimgr bug, not a cluster problem; the traceback is kept on the run."
        finally:
            connection.close()
        level = "info" if state == RunState.SUCCEEDED else "error" if state != RunState.CANCELLED else "warning"
        reporter.event(f"run {state}" + (f": {error}" if error else ""), level=level, step="end",
                       data={"hint": hint} if hint else None)  # fmt: skip
        if reporter.lost.is_set():
            return "lost"
        services.finish(run, state, summary=summary, error=error, hint=hint, tb=tb)
    log.info("run finished", run=run.pk, state=state)
    return state
