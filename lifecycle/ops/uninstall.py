"""uninstall-cni: delete every object labelled linkerd.io/cni-resource=true and wait until they are gone.

Order matters (facts §4.7, §6.2): the DaemonSet goes first and its pods must be gone before the ServiceAccount
and RBAC, so each pod's preStop cleanup removes the host conflist entry while its token is still valid. A
leftover entry pointing at a revoked token blocks every new pod on that node.
"""

from __future__ import annotations

import time
from typing import Any

from lifecycle import apply, controlplane
from lifecycle.apply import CNI_PRUNE_KINDS, ObjectKey
from lifecycle.cni.render import NAME, SELECTOR
from lifecycle.cni.validation import as_bool
from lifecycle.kube import ClusterConnection
from lifecycle.objects import list_objects
from lifecycle.observe import observe
from lifecycle.ops.common import Params, Steps, namespace_param, refuse_unknown, seconds_param
from lifecycle.reporting import OperationFailed, Reporter

ALL_KINDS = (*CNI_PRUNE_KINDS, ("v1", "Namespace"))
POLL_SECONDS = 2.0


def validate(params: Params) -> Params:
    refuse_unknown(params, {"namespace", "control_plane_namespace", "timeout_seconds", "force"})
    return {"namespace": namespace_param(params, "namespace", "linkerd-cni"),
            "control_plane_namespace": namespace_param(params, "control_plane_namespace", "linkerd"),
            "timeout_seconds": seconds_param(params, "timeout_seconds", 300),
            "force": as_bool("force", params.get("force", False))}


def _remaining(conn: ClusterConnection) -> list[ObjectKey]:
    return [apply.key_of(obj) for obj in apply.list_labelled(conn.dynamic(), SELECTOR, ALL_KINDS)]


def _wait(reporter: Reporter, deadline: float, what: str, still_there: Any) -> None:
    """Poll ``still_there()`` (a list) until empty; OperationFailed at the deadline."""
    last = None
    while True:
        reporter.checkpoint()
        left = still_there()
        if not left:
            return
        if len(left) != last:
            last = len(left)
            reporter.event(f"waiting for {len(left)} {what} to go", step="wait")
        if time.monotonic() >= deadline:
            raise OperationFailed(f"{len(left)} {what} still present after the timeout: {', '.join(left[:10])}",
                                  hint="A finalizer or a stuck node may hold them; look at the objects.")
        time.sleep(POLL_SECONDS)


def run(conn: ClusterConnection, params: Params, reporter: Reporter) -> dict[str, Any]:
    steps = Steps(reporter, ["preflight", "delete", "wait", "observe"])
    deadline = time.monotonic() + params["timeout_seconds"]
    steps.start("preflight", "checking that no control plane still relies on the CNI plugin")
    values = controlplane.read_values(conn, params["control_plane_namespace"])
    if values and values.get("cniEnabled") and not params["force"]:
        raise OperationFailed("the Linkerd control plane runs with cniEnabled: true",
                              hint="Remove the control plane and meshed workloads first (or set force).")
    targets = _remaining(conn)
    steps.finish()
    steps.start("delete", f"deleting {len(targets)} objects labelled {SELECTOR}")
    daemonsets = [k for k in targets if k[1] == "DaemonSet"]
    deleted = [k for k in daemonsets if apply.delete_one(conn.dynamic(), k)]
    for key in daemonsets:
        reporter.event(f"deleted {apply.describe(key)}", step="delete")
    _wait(reporter, deadline, "linkerd-cni pods", lambda: [
        f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in list_objects(conn, "v1", "Pod", label_selector=f"k8s-app={NAME}")])
    order = {kind: i for i, (_, kind) in enumerate(ALL_KINDS)}
    for key in sorted((k for k in targets if k[1] != "DaemonSet"), key=lambda k: order.get(k[1], 99)):
        reporter.checkpoint()
        if apply.delete_one(conn.dynamic(), key):
            deleted.append(key)
            reporter.event(f"deleted {apply.describe(key)}", step="delete")
    steps.finish()
    steps.start("wait", "waiting until no labelled object is left")
    _wait(reporter, deadline, "labelled objects", lambda: [apply.describe(k) for k in _remaining(conn)])
    steps.finish()
    steps.start("observe", "reading what is installed now")
    result = {"deleted": [apply.describe(k) for k in deleted], "observed": observe(conn, params["namespace"],
                                                                                   params["control_plane_namespace"])}
    steps.finish()
    return result
