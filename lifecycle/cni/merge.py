"""linkerd2-cni chart values (facts §2): defaults, CLI flag mapping and merging.

Input uses the chart's own value names (``values``) and, optionally, ``linkerd install-cni`` flag names
(``flags``); values win over flags, as ``--set`` does upstream. Unknown names are refused: Helm would silently
ignore a typo, and a typo in a CNI setting breaks pod networking on every node.
"""

from __future__ import annotations

import copy
from typing import Any

from lifecycle.cni import validation as v
from lifecycle.errors import InvalidParams
from lifecycle.versions import Release

DEFAULT_NAMESPACE = "linkerd-cni"
DEFAULT_IMAGE = "cr.l5d.io/linkerd/cni-plugin"
LOG_LEVELS = ("panic", "fatal", "error", "warn", "info", "debug", "trace")
RESERVED_LABELS = ("linkerd.io/cni-resource", "k8s-app")

# HEAD chart defaults (charts/linkerd2-cni/values.yaml); image.version comes from the catalogue release.
CHART_DEFAULTS: dict[str, Any] = {
    "inboundProxyPort": 4143, "outboundProxyPort": 4140, "ignoreInboundPorts": "", "ignoreOutboundPorts": "",
    "proxyAdminPort": 4191, "proxyControlPort": 4190, "podLabels": {}, "commonLabels": {}, "logLevel": "info",
    "portsToRedirect": "", "proxyUID": 2102, "proxyGID": -1, "destCNINetDir": "/etc/cni/net.d",
    "destCNIBinDir": "/opt/cni/bin", "useWaitFlag": False, "iptablesMode": "nft", "disableIPv6": True,
    "priorityClassName": "", "revisionHistoryLimit": 10,
    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
    "enablePSP": False, "privileged": False, "tolerations": [{"operator": "Exists"}], "nodeAffinity": None,
    "image": {"name": DEFAULT_IMAGE, "version": "", "pullPolicy": "IfNotPresent"},
    "imagePullSecrets": [], "extraInitContainers": [], "resources": {},
    "repairController": {"enabled": False, "logLevel": "info", "logFormat": "plain",
                         "enableSecurityContext": True, "resources": {}},
}
NESTED_KEYS = {"image": {"name", "version", "pullPolicy"},
               "repairController": {"enabled", "logLevel", "logFormat", "enableSecurityContext", "resources"}}

# `linkerd install-cni` flag -> chart value. --admin-port/--control-port are ignored by the CLI (quirk); we apply them.
FLAG_TO_VALUE = {
    "dest-cni-net-dir": "destCNINetDir", "dest-cni-bin-dir": "destCNIBinDir", "cni-log-level": "logLevel",
    "inbound-port": "inboundProxyPort", "outbound-port": "outboundProxyPort", "admin-port": "proxyAdminPort",
    "control-port": "proxyControlPort", "skip-inbound-ports": "ignoreInboundPorts",
    "skip-outbound-ports": "ignoreOutboundPorts", "redirect-ports": "portsToRedirect", "proxy-uid": "proxyUID",
    "proxy-gid": "proxyGID", "cni-image": "image.name", "cni-image-version": "image.version",
    "priority-class-name": "priorityClassName", "use-wait-flag": "useWaitFlag",
}
REFUSED = {
    "flags.linkerd-version": "has no effect on the output upstream; choose the release with `version`",
    "values.enablePSP": "PodSecurityPolicy was removed in Kubernetes 1.25; cnimgr does not render it",
    "values.cliVersion": "is internal (the created-by annotation); cnimgr sets it",
    "values.cniPluginImage": "was renamed to image.name in stable-2.12.5",
    "values.cniPluginVersion": "was renamed to image.version in stable-2.12.5",
}


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    head, _, tail = dotted.partition(".")
    if tail:
        _set_path(target.setdefault(head, {}), tail, value)
    else:
        target[head] = value


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> dict[str, Any]:
    """Helm-style deep merge, refusing names the chart does not have."""
    for key, value in over.items():
        path = f"{where}.{key}"
        if path in REFUSED:
            raise InvalidParams(path, REFUSED[path])
        if key not in CHART_DEFAULTS and where == "values":
            raise InvalidParams(path, "unknown chart value; known: " + ", ".join(sorted(CHART_DEFAULTS)))
        if key in NESTED_KEYS and where == "values":
            if not isinstance(value, dict):
                raise InvalidParams(path, "must be a mapping")
            unknown = set(value) - NESTED_KEYS[key]
            if unknown:
                raise InvalidParams(f"{path}.{sorted(unknown)[0]}", "unknown value; known: "
                                    + ", ".join(sorted(NESTED_KEYS[key])))
            base[key] = {**base[key], **value}
        else:
            base[key] = copy.deepcopy(value)
    return base


def _flag_values(flags: dict[str, Any], release: Release) -> dict[str, Any]:
    out: dict[str, Any] = {"image": dict(CHART_DEFAULTS["image"], version=release.cni_plugin)}
    for flag, value in flags.items():
        path = f"flags.{flag}"
        if path in REFUSED:
            raise InvalidParams(path, REFUSED[path])
        if flag == "registry":
            continue
        if flag not in FLAG_TO_VALUE:
            raise InvalidParams(path, "unknown install-cni flag; known: " + ", ".join(sorted([*FLAG_TO_VALUE,
                                                                                              "registry"])))
        _set_path(out, FLAG_TO_VALUE[flag], value)
    if flags.get("registry"):
        # Upstream RegistryOverride: swap the registry part of the image name, keep the last path segment.
        registry = v.as_str("flags.registry", flags["registry"]).rstrip("/")
        out["image"]["name"] = f"{registry}/{out['image']['name'].rsplit('/', 1)[-1]}"
    return out


def merged_values(values: dict[str, Any] | None, flags: dict[str, Any] | None, release: Release) -> dict[str, Any]:
    """Chart defaults < release defaults < flags < values, before validation."""
    if values is not None and not isinstance(values, dict):
        raise InvalidParams("values", "must be a mapping of chart values")
    if flags is not None and not isinstance(flags, dict):
        raise InvalidParams("flags", "must be a mapping of install-cni flag names to values")
    merged = copy.deepcopy(CHART_DEFAULTS)
    merged.update(copy.deepcopy(release.defaults))
    merged = _merge(merged, _flag_values(flags or {}, release), "flags")
    return _merge(merged, values or {}, "values")


