"""What is installed on a cluster right now: Kubernetes version, the CNI plugin, the control plane."""

from __future__ import annotations

import json
from typing import Any

from lifecycle import controlplane
from lifecycle.apply import FIELD_MANAGER
from lifecycle.cni.render import CONFIGMAP_NAME, CREATED_BY, NAME, RESOURCE_LABEL
from lifecycle.cni.wait import rollout_status
from lifecycle.kube import ClusterConnection
from lifecycle.objects import get_object, list_objects, server_version

DEFAULT_CNI_NAMESPACE = "linkerd-cni"


def find_cni_daemonset(conn: ClusterConnection, namespace: str | None = None) -> dict[str, Any] | None:
    """The linkerd-cni DaemonSet: in ``namespace`` if given, else linkerd-cni, else anywhere (Helm installs)."""
    found = get_object(conn, "apps/v1", "DaemonSet", NAME, namespace or DEFAULT_CNI_NAMESPACE)
    if found or namespace:
        return found
    candidates = list_objects(conn, "apps/v1", "DaemonSet", label_selector=f"k8s-app={NAME}")
    return next((ds for ds in candidates if ds["metadata"]["name"] == NAME), None)


def installed_by(obj: dict[str, Any]) -> str:
    """cnimgr if it server-side-applied the object; else the Helm or CLI markers upstream leaves; else unknown."""
    meta = obj.get("metadata") or {}
    managers = {(m.get("manager"), m.get("operation")) for m in meta.get("managedFields") or []}
    annotations, labels = meta.get("annotations") or {}, meta.get("labels") or {}
    created_by = annotations.get(CREATED_BY, "")
    if (FIELD_MANAGER, "Apply") in managers:
        return "cnimgr"
    if (labels.get("app.kubernetes.io/managed-by") == "Helm" or "meta.helm.sh/release-name" in annotations
            or created_by.startswith("linkerd/helm")):
        return "helm"
    if created_by.startswith("linkerd/cli"):
        return "linkerd-cli"
    return "unknown"


def linkerd_version_from_created_by(created_by: str) -> str | None:
    """"cnimgr edge-26.8.3" / "linkerd/cli edge-26.8.3" -> the release. Helm writes the image tag: no release."""
    tool, _, version = created_by.partition(" ")
    return version if tool in ("cnimgr", "linkerd/cli") and version else None


def _container(ds: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((c for c in ds["spec"]["template"]["spec"]["containers"] if c.get("name") == name), None)


def cni_config_values(conn: ClusterConnection, namespace: str) -> dict[str, Any]:
    """The live ConfigMap turned back into chart value names."""
    data = (get_object(conn, "v1", "ConfigMap", CONFIGMAP_NAME, namespace) or {}).get("data") or {}
    try:
        network = json.loads(data.get("cni_network_config") or "{}")
    except ValueError:
        network = {}
    linkerd = network.get("linkerd") or {}
    inbound = list(linkerd.get("inbound-ports-to-ignore") or [])
    values: dict[str, Any] = {
        "destCNINetDir": data.get("dest_cni_net_dir"), "destCNIBinDir": data.get("dest_cni_bin_dir"),
        "logLevel": network.get("log_level"), "inboundProxyPort": linkerd.get("incoming-proxy-port"),
        "outboundProxyPort": linkerd.get("outgoing-proxy-port"), "proxyUID": linkerd.get("proxy-uid"),
        "proxyGID": linkerd.get("proxy-gid", -1),
        "portsToRedirect": ",".join(str(p) for p in linkerd.get("ports-to-redirect") or []),
        "ignoreInboundPorts": ",".join(inbound[2:]),
        "ignoreOutboundPorts": ",".join(linkerd.get("outbound-ports-to-ignore") or []),
        "useWaitFlag": linkerd.get("use-wait-flag"),
    }
    if len(inbound) >= 2:
        values["proxyAdminPort"], values["proxyControlPort"] = int(inbound[0]), int(inbound[1])
    if "iptables-mode" in linkerd:
        values["iptablesMode"] = linkerd["iptables-mode"]
    if "ipv6" in linkerd:
        values["disableIPv6"] = not linkerd["ipv6"]
    return {k: v for k, v in values.items() if v is not None}


def observe_cni(conn: ClusterConnection, namespace: str | None = None) -> dict[str, Any]:
    ds = find_cni_daemonset(conn, namespace)
    if ds is None:
        return {"installed": False}
    ns = ds["metadata"]["namespace"]
    install = _container(ds, "install-cni") or {}
    image = install.get("image", "")
    created_by = (ds["metadata"].get("annotations") or {}).get(CREATED_BY, "")
    status, rollout = ds.get("status") or {}, rollout_status(ds)
    return {
        "installed": True, "namespace": ns, "image": image, "version": image.rpartition(":")[2] if ":" in image else "",
        "installed_by": installed_by(ds), "created_by": created_by,
        "linkerd_version": linkerd_version_from_created_by(created_by),
        "labelled": (ds["metadata"].get("labels") or {}).get(RESOURCE_LABEL) == "true",
        "repair_controller": _container(ds, "repair-controller") is not None,
        "config": cni_config_values(conn, ns),
        "rollout": {"desired": rollout.desired, "updated": rollout.updated, "available": rollout.available,
                    "ready": status.get("numberReady") or 0, "done": rollout.done},
    }


def observe(conn: ClusterConnection, cni_namespace: str | None = None,
            control_plane_namespace: str = "linkerd") -> dict[str, Any]:
    """A JSON-serialisable snapshot: {"kubernetes": ..., "cni": ..., "control_plane": ...}."""
    version = server_version(conn)
    control_plane = controlplane.summary(controlplane.read_values(conn, control_plane_namespace))
    return {
        "kubernetes": {"version": version["gitVersion"], "minor": f"{version['major']}.{version['minor']}"},
        "cni": observe_cni(conn, cni_namespace),
        "control_plane": {**control_plane, "namespace": control_plane_namespace},
    }
