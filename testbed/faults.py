"""Fault injection on a test cluster: NotReady nodes and DaemonSet pods held not Ready.

kwok would undo a plain status patch (its node stages re-initialise a node whose Ready condition is not True,
and its pod-ready stage makes every new pod Ready), so each fault is also written into kwok's stage config,
which then excludes that node, or matches that pod with a "held" stage (see :mod:`testbed.stages`). kwok reads
its config only at start, so a fault change restarts kwok (0.2-0.3 s, measured); the objects already in the
wrong state are patched while kwok is down, so it never races the patch. The API server must be up.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from testbed import stages
from testbed.processes import WaitAborted, wait_until

if TYPE_CHECKING:
    from testbed.cluster import TestCluster


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _restart_kwok_with(cluster: TestCluster, change: Callable[[], None]) -> None:
    """Stop kwok, apply ``change()`` (state + patches), rewrite the stage config, start kwok again."""
    kwok = cluster.processes["kwok"]
    kwok.stop()
    try:
        change()
    finally:
        stages.write(cluster.dir / "kwok-stages.yaml", cluster.faults.not_ready_nodes, cluster.faults.held_pods)
        _release_node_leases(cluster)
        kwok.start()
        cluster.changed()
    _wait_kwok_manages_nodes(cluster)


def _wait_kwok_manages_nodes(cluster: TestCluster, timeout: float = 30.0) -> None:
    """Return once the new kwok holds every node's Lease, i.e. plays stages again (typically < 1 s)."""
    with cluster.api_client() as api:
        coordination = k8s.CoordinationV1Api(api)

        def all_held() -> bool:
            if not cluster.processes["kwok"].running():
                raise WaitAborted(f"kwok exited:\n{cluster.processes['kwok'].log_tail()}")
            leases = coordination.list_namespaced_lease("kube-node-lease").items
            return {lease.metadata.name for lease in leases} >= set(cluster.node_names)

        wait_until(all_held, timeout, interval=0.1, what=f"{cluster.name}: kwok to take over the node leases")


def _release_node_leases(cluster: TestCluster) -> None:
    """Delete the node Leases the stopped kwok held, so the new kwok takes the nodes over at once.

    kwok manages (and plays stages for pods on) only the nodes whose Lease it holds, under a random identity per
    process; a restarted kwok would otherwise wait for the old Leases to expire (40 s) before doing anything.
    The node-lifecycle controller does not notice the sub-second gap: it only marks a node unknown after its
    grace period without any heartbeat.
    """
    with cluster.api_client() as api:
        coordination = k8s.CoordinationV1Api(api)
        for node in cluster.node_names:
            try:
                coordination.delete_namespaced_lease(node, "kube-node-lease")
            except ApiException as exc:
                if exc.status != 404:
                    raise


def set_node_ready(cluster: TestCluster, node: str, ready: bool) -> None:
    """Make ``node`` report Ready=True or Ready=False; NotReady stays until set back to ready."""
    if node not in cluster.node_names:
        raise ValueError(f"{node!r} is not a node of {cluster.name}: {cluster.node_names}")

    def change() -> None:
        frozen = cluster.faults.not_ready_nodes
        if ready and node in frozen:
            frozen.remove(node)
        elif not ready and node not in frozen:
            frozen.append(node)
        with cluster.api_client() as api:
            _patch_node_ready(k8s.CoreV1Api(api), node, ready)

    _restart_kwok_with(cluster, change)


def _patch_node_ready(core: k8s.CoreV1Api, node: str, ready: bool) -> None:
    now = _now()
    condition = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "testbed: node marked NotReady",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    # Strategic merge: conditions merge by type, so the other node conditions are kept.
    core.patch_node_status(node, {"status": {"conditions": [condition]}})


def hold_pod_not_ready(cluster: TestCluster, namespace: str, daemonset: str, node: str) -> None:
    """Keep the pod of DaemonSet ``namespace/daemonset`` on ``node`` Running but not Ready.

    Holds also apply to pods created later (a rolling update replacing the pod), until :func:`release_pod`.
    """
    hold = stages.Hold(namespace, daemonset, node)

    def change() -> None:
        if hold not in cluster.faults.held_pods:
            cluster.faults.held_pods.append(hold)
        _patch_daemonset_pods(cluster, hold, ready=False)

    _restart_kwok_with(cluster, change)


def release_pod(cluster: TestCluster, namespace: str, daemonset: str, node: str) -> None:
    """Undo :func:`hold_pod_not_ready`: the pod becomes Ready."""
    hold = stages.Hold(namespace, daemonset, node)

    def change() -> None:
        if hold in cluster.faults.held_pods:
            cluster.faults.held_pods.remove(hold)
        _patch_daemonset_pods(cluster, hold, ready=True)

    _restart_kwok_with(cluster, change)


def reset(cluster: TestCluster) -> None:
    """Release every hold and make every NotReady node Ready again, with a single kwok restart."""

    def change() -> None:
        with cluster.api_client() as api:
            core = k8s.CoreV1Api(api)
            for node in cluster.faults.not_ready_nodes:
                _patch_node_ready(core, node, True)
        for hold in cluster.faults.held_pods:
            _patch_daemonset_pods(cluster, hold, ready=True)
        cluster.faults.not_ready_nodes.clear()
        cluster.faults.held_pods.clear()

    _restart_kwok_with(cluster, change)


def _patch_daemonset_pods(cluster: TestCluster, hold: stages.Hold, ready: bool) -> None:
    """Flip readiness of the existing pods a hold covers (kwok only sets status on pods without a pod IP)."""
    with cluster.api_client() as api:
        core = k8s.CoreV1Api(api)
        pods = core.list_namespaced_pod(hold.namespace, field_selector=f"spec.nodeName={hold.node}").items
        for pod in pods:
            owners = pod.metadata.owner_references or []
            if not any(o.kind == "DaemonSet" and o.name == hold.daemonset for o in owners):
                continue
            if pod.metadata.deletion_timestamp is not None or not (pod.status and pod.status.pod_ip):
                # Not started yet: kwok's (pod-ready or pod-held) stage will set the right status.
                continue
            core.patch_namespaced_pod_status(pod.metadata.name, hold.namespace, _readiness_patch(api, pod, ready))


def _readiness_patch(api: k8s.ApiClient, pod: k8s.V1Pod, ready: bool) -> dict[str, Any]:
    now = _now()
    status = "True" if ready else "False"
    reason = None if ready else "ContainersNotReady"
    conditions = [
        {"type": "Ready", "status": status, "reason": reason, "lastTransitionTime": now},
        {"type": "ContainersReady", "status": status, "reason": reason, "lastTransitionTime": now},
    ]
    container_statuses = []
    for cs in pod.status.container_statuses or []:
        entry = api.sanitize_for_serialization(cs)
        entry["ready"] = ready
        container_statuses.append(entry)
    return {"status": {"conditions": conditions, "containerStatuses": container_statuses}}
