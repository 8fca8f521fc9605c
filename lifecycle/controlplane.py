"""What cnimgr reads from an installed Linkerd control plane (the linkerd-config ConfigMap, facts §4.4)."""

from __future__ import annotations

from typing import Any

import yaml

from lifecycle.kube import ClusterConnection
from lifecycle.objects import get_object

PROXY_DEFAULTS = {"inbound": 4143, "outbound": 4140, "admin": 4191, "control": 4190, "uid": 2102, "gid": -1}


def read_values(conn: ClusterConnection, namespace: str = "linkerd") -> dict[str, Any] | None:
    """The control plane's merged values, or None when there is no control plane."""
    config = get_object(conn, "v1", "ConfigMap", "linkerd-config", namespace)
    if config is None:
        return None
    try:
        values = yaml.safe_load((config.get("data") or {}).get("values") or "") or {}
    except yaml.YAMLError:
        values = {}
    return values if isinstance(values, dict) else {}


def proxy_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Ports, UID/GID and skip lists the proxies use, with chart defaults where values omit them."""
    proxy = values.get("proxy") or {}
    ports = proxy.get("ports") or {}
    init = values.get("proxyInit") or {}
    validator = values.get("networkValidator") or {}
    return {
        "inbound": int(ports.get("inbound", PROXY_DEFAULTS["inbound"])),
        "outbound": int(ports.get("outbound", PROXY_DEFAULTS["outbound"])),
        "admin": int(ports.get("admin", PROXY_DEFAULTS["admin"])),
        "control": int(ports.get("control", PROXY_DEFAULTS["control"])),
        "uid": int(proxy.get("uid", PROXY_DEFAULTS["uid"])),
        "gid": int(proxy.get("gid", PROXY_DEFAULTS["gid"]) if proxy.get("gid") is not None else -1),
        "ignoreInboundPorts": str(init.get("ignoreInboundPorts", "") or ""),
        "ignoreOutboundPorts": str(init.get("ignoreOutboundPorts", "") or ""),
        "validatorListenAddr": str(validator.get("listenAddr", "") or ""),
        "disableIPv6": bool(values.get("disableIPv6", True)),
    }


def summary(values: dict[str, Any] | None) -> dict[str, Any]:
    if values is None:
        return {"installed": False}
    return {"installed": True, "version": values.get("linkerdVersion"), "cniEnabled": bool(values.get("cniEnabled"))}
