"""The `linkerd-cni-plugin` checks as Linkerd names them (facts §3.3), plus the checks Linkerd lacks (cnimgr-cni)."""

from __future__ import annotations

import json
from typing import Any

from lifecycle import controlplane
from lifecycle.checks import Check, CheckContext, Outcome
from lifecycle.cni.render import CONFIGMAP_NAME, NAME
from lifecycle.cni.wait import rollout_status
from lifecycle.objects import get_object, is_true, list_objects

CNI = "linkerd-cni-plugin"
EXTRA = "cnimgr-cni"
MAX_LISTED = 10


def _daemonset(ctx: CheckContext) -> dict[str, Any] | None:
    return ctx.memo("ds", lambda: get_object(ctx.conn, "apps/v1", "DaemonSet", NAME, ctx.cni_namespace))


def _exists(kind: str, api_version: str, name: str, namespaced: bool):
    def run(ctx: CheckContext) -> Outcome:
        namespace = ctx.cni_namespace if namespaced else None
        found = _daemonset(ctx) if kind == "DaemonSet" else get_object(ctx.conn, api_version, kind, name, namespace)
        where = f"{namespace}/{name}" if namespace else name
        return Outcome(True) if found else Outcome(False, f"missing {kind}: {where}")
    return run


def _pods_running_on_all_nodes(ctx: CheckContext) -> Outcome:
    ds = _daemonset(ctx)
    if ds is None:
        return Outcome(False, "missing DaemonSet")
    status = ds.get("status") or {}
    scheduled, ready = status.get("desiredNumberScheduled") or 0, status.get("numberReady") or 0
    if scheduled != ready:
        return Outcome(False, f"number ready: {ready}, number scheduled: {scheduled}")
    return Outcome(True)


def _image_matches_target(ctx: CheckContext) -> Outcome | None:
    if not ctx.expected_image:
        return None
    ds = _daemonset(ctx)
    if ds is None:
        return Outcome(False, "missing DaemonSet")
    containers = ds["spec"]["template"]["spec"]["containers"]
    running = next((c.get("image") for c in containers if c.get("name") == "install-cni"), None)
    if running != ctx.expected_image:
        return Outcome(False, f"the DaemonSet runs {running}, expected {ctx.expected_image}",
                       "Run upgrade-cni (or install-cni) with the target version.")
    stale = [p["metadata"]["name"] for p in _cni_pods(ctx)
             if any(c.get("image") != ctx.expected_image for c in p["spec"]["containers"]
                    if c.get("name") == "install-cni")]
    if stale:
        return Outcome(False, f"pods still running another image: {', '.join(stale[:MAX_LISTED])}",
                       "Wait for the rollout to finish; a stuck pod may need deleting.")
    return Outcome(True, ctx.expected_image.rpartition(":")[2])


def _cni_pods(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.memo("pods", lambda: list_objects(ctx.conn, "v1", "Pod", namespace=ctx.cni_namespace,
                                                 label_selector=f"k8s-app={NAME}"))


def _eligible_nodes(ctx: CheckContext, ds: dict[str, Any]) -> list[dict[str, Any]]:
    """Schedulable nodes that match the DaemonSet's nodeSelector (kubernetes.io/os=linux)."""
    selector = ds["spec"]["template"]["spec"].get("nodeSelector") or {}
    nodes = list_objects(ctx.conn, "v1", "Node")
    return [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")
            and all((n["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]


def _rollout_complete_on_every_node(ctx: CheckContext) -> Outcome:
    ds = _daemonset(ctx)
    if ds is None:
        return Outcome(False, "missing DaemonSet")
    status = rollout_status(ds)
    if not status.done:
        return Outcome(False, status.message)
    ready_nodes = {p["spec"].get("nodeName") for p in _cni_pods(ctx)
                   if is_true(p, "Ready") and not p["metadata"].get("deletionTimestamp")}
    problems = []
    for node in _eligible_nodes(ctx, ds):
        name = node["metadata"]["name"]
        if name not in ready_nodes:
            note = "" if is_true(node, "Ready") else " (node NotReady)"
            problems.append(f"{name}{note}")
    if problems:
        return Outcome(False, f"no Ready linkerd-cni pod on node(s): {', '.join(problems[:MAX_LISTED])}",
                       "Pods scheduled on these nodes get no iptables rules; look at the node and its linkerd-cni "
                       "pod (kubectl -n linkerd-cni describe pod).")
    return Outcome(True, f"{status.desired} of {status.desired} nodes")


def _network_config(ctx: CheckContext) -> dict[str, Any] | None:
    config_map = get_object(ctx.conn, "v1", "ConfigMap", CONFIGMAP_NAME, ctx.cni_namespace)
    try:
        return json.loads(((config_map or {}).get("data") or {}).get("cni_network_config") or "")
    except ValueError:
        return None


def _split(ports: str) -> set[str]:
    return {p.strip() for p in ports.split(",") if p.strip()}


def _config_matches_control_plane(ctx: CheckContext) -> Outcome | None:
    values = controlplane.read_values(ctx.conn, ctx.control_plane_namespace)
    if values is None:
        return None  # no control plane: nothing to compare with
    config = _network_config(ctx)
    if config is None:
        return Outcome(False, f"ConfigMap {CONFIGMAP_NAME} has no valid cni_network_config")
    linkerd, proxy = config.get("linkerd") or {}, controlplane.proxy_settings(values)
    problems = []
    if not values.get("cniEnabled"):
        problems.append("the control plane has cniEnabled: false (pods still get linkerd-init)")
    for key, setting in (("incoming-proxy-port", "inbound"), ("outgoing-proxy-port", "outbound"),
                         ("proxy-uid", "uid")):
        if int(linkerd.get(key, -2)) != proxy[setting]:
            problems.append(f"{key} is {linkerd.get(key)}, the proxy uses {proxy[setting]}")
    if proxy["gid"] >= 0 and int(linkerd.get("proxy-gid", -1)) != proxy["gid"]:
        problems.append(f"proxy-gid is {linkerd.get('proxy-gid', 'unset')}, the proxy uses {proxy['gid']}")
    ignored = set(linkerd.get("inbound-ports-to-ignore") or [])
    for port in ("admin", "control"):
        if str(proxy[port]) not in ignored:
            problems.append(f"the proxy {port} port {proxy[port]} is not in inbound-ports-to-ignore")
    listen = proxy["validatorListenAddr"]
    if (listen and not listen.endswith(f":{proxy['outbound']}")) or (not listen and proxy["outbound"] != 4140):
        problems.append("networkValidator.listenAddr does not follow the outbound port (validator pitfall)")
    if problems:
        return Outcome(False, "; ".join(problems), "Re-run install-cni with values matching the control plane "
                       "(inboundProxyPort, outboundProxyPort, proxyUID, proxyGID, proxyAdminPort, proxyControlPort).")
    return Outcome(True)


def _no_stuck_meshed_pods(ctx: CheckContext) -> Outcome:
    """Meshed pods whose network validator exited 95: they started before the plugin configured their node."""
    stuck = []
    for pod in list_objects(ctx.conn, "v1", "Pod", label_selector="linkerd.io/control-plane-ns"):
        if pod["metadata"].get("deletionTimestamp"):
            continue
        for status in (pod.get("status") or {}).get("initContainerStatuses") or []:
            if status.get("name") != "linkerd-network-validator":
                continue
            exit_codes = {((status.get(k) or {}).get("terminated") or {}).get("exitCode") for k in ("state",
                                                                                                    "lastState")}
            if 95 in exit_codes:
                stuck.append(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
    if stuck:
        return Outcome(False, f"{len(stuck)} pod(s) failed network validation: {', '.join(stuck[:MAX_LISTED])}",
                       "Delete these pods so they are recreated with the plugin in place, or enable the repair "
                       "controller (values.repairController.enabled).")
    return Outcome(True)


LINKERD_CNI_PLUGIN_CHECKS: list[Check] = [
    Check(CNI, "cni plugin ConfigMap exists", _exists("ConfigMap", "v1", CONFIGMAP_NAME, True), fatal=True,
          anchor="l5d-cni-plugin-cm-exists"),
    Check(CNI, "cni plugin ClusterRole exists", _exists("ClusterRole", "rbac.authorization.k8s.io/v1", NAME, False),
          fatal=True, anchor="l5d-cni-plugin-cr-exists"),
    Check(CNI, "cni plugin ClusterRoleBinding exists",
          _exists("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", NAME, False), fatal=True,
          anchor="l5d-cni-plugin-crb-exists"),
    Check(CNI, "cni plugin ServiceAccount exists", _exists("ServiceAccount", "v1", NAME, True), fatal=True,
          anchor="l5d-cni-plugin-sa-exists"),
    Check(CNI, "cni plugin DaemonSet exists", _exists("DaemonSet", "apps/v1", NAME, True), fatal=True,
          anchor="l5d-cni-plugin-ds-exists"),
    Check(CNI, "cni plugin pod is running on all nodes", _pods_running_on_all_nodes, fatal=True, retry=True,
          anchor="l5d-cni-plugin-ready"),
]

CNIMGR_CNI_CHECKS: list[Check] = [
    Check(EXTRA, "cni plugin image version matches the target", _image_matches_target),
    Check(EXTRA, "cni plugin rollout is complete on every node", _rollout_complete_on_every_node, retry=True),
    Check(EXTRA, "cni plugin config matches the control plane's proxy settings", _config_matches_control_plane),
    Check(EXTRA, "no meshed pods stuck because they started before the plugin", _no_stuck_meshed_pods),
]
