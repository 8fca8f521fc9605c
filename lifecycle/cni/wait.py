"""Wait for the linkerd-cni DaemonSet rollout, judged exactly as `kubectl rollout status` does (testbed §6.4)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lifecycle.kube import ClusterConnection
from lifecycle.objects import get_object
from lifecycle.reporting import OperationFailed, Reporter


@dataclass(frozen=True)
class RolloutStatus:
    done: bool
    message: str
    updated: int
    available: int
    desired: int
    error: bool = False  # kubectl treats a non-RollingUpdate strategy as "done with error"


def rollout_status(ds: dict[str, Any]) -> RolloutStatus:
    """kubectl's DaemonSetStatusViewer.Status. Counters the API omits (zero) are read as 0."""
    name = ds["metadata"]["name"]
    status = ds.get("status") or {}
    desired = status.get("desiredNumberScheduled") or 0
    updated = status.get("updatedNumberScheduled") or 0
    available = status.get("numberAvailable") or 0
    strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type", "RollingUpdate")
    if strategy != "RollingUpdate":
        return RolloutStatus(True, "rollout status is only available for RollingUpdate strategy type",
                             updated, available, desired, error=True)
    if (ds["metadata"].get("generation") or 0) <= (status.get("observedGeneration") or 0):
        if updated < desired:
            return RolloutStatus(False, f'Waiting for daemon set "{name}" rollout to finish: {updated} out of '
                                 f"{desired} new pods have been updated...", updated, available, desired)
        if available < desired:
            return RolloutStatus(False, f'Waiting for daemon set "{name}" rollout to finish: {available} of '
                                 f"{desired} updated pods are available...", updated, available, desired)
        return RolloutStatus(True, f'daemon set "{name}" successfully rolled out', updated, available, desired)
    return RolloutStatus(False, "Waiting for daemon set spec update to be observed...", updated, available, desired)


def wait_for_rollout(conn: ClusterConnection, namespace: str, name: str, reporter: Reporter, *,
                     timeout_seconds: float = 300, poll_seconds: float = 2.0,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> RolloutStatus:
    """Poll until rolled out; report "X of Y" whenever it changes; OperationFailed on timeout."""
    deadline = clock() + timeout_seconds
    last_message = ""
    while True:
        reporter.checkpoint()
        ds = get_object(conn, "apps/v1", "DaemonSet", name, namespace)
        if ds is None:
            raise OperationFailed(f"DaemonSet {namespace}/{name} disappeared while waiting for its rollout",
                                  hint="Something deleted it; run install-cni again.")
        status = rollout_status(ds)
        if status.message != last_message:
            last_message = status.message
            reporter.event(status.message, step="wait", level="warning" if status.error else "info",
                           data={"updated": status.updated, "available": status.available, "desired": status.desired})
        if status.done:
            return status
        if clock() >= deadline:
            raise OperationFailed(
                f"the rollout of DaemonSet {namespace}/{name} did not finish within {timeout_seconds:g}s: "
                f"{status.available} of {status.desired} pods available, {status.updated} updated",
                hint="Look at the linkerd-cni pods that are not Ready (image pull, node problems); the checks "
                     "below name the nodes.",
                data={"updated": status.updated, "available": status.available, "desired": status.desired})
        sleep(poll_seconds)
