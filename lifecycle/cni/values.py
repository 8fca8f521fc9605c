"""Validated linkerd2-cni values: the dataclass the renderer reads, and the checks that build it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifecycle.cni import validation as v
from lifecycle.cni.merge import DEFAULT_NAMESPACE, LOG_LEVELS, RESERVED_LABELS, merged_values
from lifecycle.errors import InvalidParams
from lifecycle.versions import FEATURE_MIN_CNI_PLUGIN, Release, parse_semver


@dataclass(frozen=True)
class RepairControllerValues:
    enabled: bool
    log_level: str
    log_format: str
    resources: dict[str, dict[str, str]]


@dataclass(frozen=True)
class CNIValues:
    """Validated, normalised values for one render. Field names follow the chart (snake_case)."""

    namespace: str
    inbound_proxy_port: int
    outbound_proxy_port: int
    proxy_admin_port: int
    proxy_control_port: int
    ignore_inbound_ports: str
    ignore_outbound_ports: str
    ports_to_redirect: str
    proxy_uid: int
    proxy_gid: int
    log_level: str
    dest_cni_net_dir: str
    dest_cni_bin_dir: str
    use_wait_flag: bool
    iptables_mode: str
    disable_ipv6: bool
    priority_class_name: str
    revision_history_limit: int
    max_unavailable: int | str
    privileged: bool
    tolerations: list[dict[str, Any]]
    node_affinity: dict[str, Any] | None
    image_name: str
    image_version: str
    image_pull_policy: str
    image_pull_secrets: list[dict[str, str]]
    extra_init_containers: list[dict[str, Any]]
    pod_labels: dict[str, str]
    common_labels: dict[str, str]
    resources: dict[str, dict[str, str]]
    repair_controller: RepairControllerValues
    render_legacy_policy_block: bool  # plugins before v1.6.0 were rendered with the old "policy" block
    render_iptables_keys: bool  # iptables-mode/ipv6 keys exist in the chart from cni-plugin v1.4.0

    @property
    def image(self) -> str:
        return f"{self.image_name}:{self.image_version}"


def _check_namespace(namespace: Any) -> str:
    ns = v.as_str("namespace", namespace, v.DNS1123_LABEL, "a valid namespace name")
    if ns == "linkerd":
        # linkerd/linkerd2#12142 (wontfix): sharing the control-plane namespace breaks the CNI pod.
        raise InvalidParams("namespace", "must not be the control-plane namespace 'linkerd'")
    return ns


def _gate(release: Release, plugin: tuple[int, int, int], feature: str, field: str, wanted: bool) -> None:
    needed = FEATURE_MIN_CNI_PLUGIN[feature]
    if wanted and plugin < needed:
        raise InvalidParams(field, f"needs cni-plugin v{'.'.join(map(str, needed))} or newer; {release.version} "
                            f"ships {release.cni_plugin}, which would silently ignore it")


def _list_of_mappings(field: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidParams(field, "must be a list of mappings")
    return value


def _pull_secrets(value: Any) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(value or []):
        name = item.get("name") if isinstance(item, dict) else item
        out.append({"name": v.as_str(f"values.imagePullSecrets[{i}]", name, v.DNS1123_SUBDOMAIN, "a Secret name")})
    return out


def _init_containers(value: Any) -> list[dict[str, Any]]:
    containers = _list_of_mappings("values.extraInitContainers", value)
    for i, container in enumerate(containers):
        v.as_str(f"values.extraInitContainers[{i}].name", container.get("name"), v.DNS1123_LABEL, "a container name")
        v.as_str(f"values.extraInitContainers[{i}].image", container.get("image"))
    return containers


def _max_unavailable(strategy: Any) -> int | str:
    if not isinstance(strategy, dict):
        raise InvalidParams("values.updateStrategy", "must be a mapping")
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        # OnDelete never replaces running pods, so an upgrade would never finish rolling out.
        raise InvalidParams("values.updateStrategy.type", "only RollingUpdate is supported")
    unknown = set(strategy.get("rollingUpdate") or {}) - {"maxUnavailable"}
    if unknown or set(strategy) - {"type", "rollingUpdate"}:
        raise InvalidParams("values.updateStrategy", "only type and rollingUpdate.maxUnavailable can be set")
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        v.as_int("values.updateStrategy.rollingUpdate.maxUnavailable", value[:-1], minimum=1, maximum=100)
        return value
    return v.as_int("values.updateStrategy.rollingUpdate.maxUnavailable", value, minimum=1)


def build_values(values: dict[str, Any] | None, flags: dict[str, Any] | None, release: Release,
                 namespace: str = DEFAULT_NAMESPACE) -> CNIValues:
    """Merge and validate. Every error is an InvalidParams naming the offending field."""
    m = merged_values(values, flags, release)
    img, rc = m["image"], m["repairController"]
    if m.get("enablePSP"):
        raise InvalidParams("values.enablePSP", "PodSecurityPolicy was removed in Kubernetes 1.25")
    image_version = v.as_str("values.image.version", str(img["version"]), v.IMAGE_TAG, "an image tag")
    try:
        plugin = parse_semver(image_version)
    except ValueError:
        plugin = parse_semver(release.cni_plugin)  # a custom tag: gate on what the release ships
    pull_policy = img.get("pullPolicy") or "IfNotPresent"  # the CLI renders it empty (quirk); never do that
    common = v.as_labels("values.commonLabels", m["commonLabels"])
    pod_labels = v.as_labels("values.podLabels", m["podLabels"])
    for field, labels in (("values.commonLabels", common), ("values.podLabels", pod_labels)):
        for reserved in RESERVED_LABELS:
            if reserved in labels:
                raise InvalidParams(f"{field}.{reserved}", "is set by cnimgr and cannot be overridden")
    rc_enabled = v.as_bool("values.repairController.enabled", rc["enabled"])
    if rc_enabled and not v.as_bool("values.repairController.enableSecurityContext", rc["enableSecurityContext"]):
        # Chart quirk: with false the container loses its command and would run the installer a second time.
        raise InvalidParams("values.repairController.enableSecurityContext", "must stay true when enabled")
    result = CNIValues(
        namespace=_check_namespace(namespace),
        inbound_proxy_port=v.as_port("values.inboundProxyPort", m["inboundProxyPort"]),
        outbound_proxy_port=v.as_port("values.outboundProxyPort", m["outboundProxyPort"]),
        proxy_admin_port=v.as_port("values.proxyAdminPort", m["proxyAdminPort"]),
        proxy_control_port=v.as_port("values.proxyControlPort", m["proxyControlPort"]),
        ignore_inbound_ports=v.as_port_ranges("values.ignoreInboundPorts", m["ignoreInboundPorts"]),
        ignore_outbound_ports=v.as_port_ranges("values.ignoreOutboundPorts", m["ignoreOutboundPorts"]),
        ports_to_redirect=v.as_port_list("values.portsToRedirect", m["portsToRedirect"]),
        proxy_uid=v.as_int("values.proxyUID", m["proxyUID"], minimum=0),
        proxy_gid=v.as_int("values.proxyGID", m["proxyGID"], minimum=-1),
        log_level=v.as_choice("values.logLevel", m["logLevel"], LOG_LEVELS),
        dest_cni_net_dir=v.as_str("values.destCNINetDir", m["destCNINetDir"], v.SAFE_PATH, "an absolute path"),
        dest_cni_bin_dir=v.as_str("values.destCNIBinDir", m["destCNIBinDir"], v.SAFE_PATH, "an absolute path"),
        use_wait_flag=v.as_bool("values.useWaitFlag", m["useWaitFlag"]),
        iptables_mode=v.as_choice("values.iptablesMode", m["iptablesMode"], ("nft", "legacy", "plain")),
        disable_ipv6=v.as_bool("values.disableIPv6", m["disableIPv6"]),
        priority_class_name=(m["priorityClassName"] or "") and v.as_str(
            "values.priorityClassName", m["priorityClassName"], v.DNS1123_SUBDOMAIN, "a PriorityClass name"),
        revision_history_limit=v.as_int("values.revisionHistoryLimit", m["revisionHistoryLimit"], minimum=0),
        max_unavailable=_max_unavailable(m["updateStrategy"]),
        privileged=v.as_bool("values.privileged", m["privileged"]),
        tolerations=_list_of_mappings("values.tolerations", m["tolerations"]),
        node_affinity=m["nodeAffinity"] or None,
        image_name=v.as_str("values.image.name", img["name"], v.IMAGE_NAME, "an image name without a tag"),
        image_version=image_version,
        image_pull_policy=v.as_choice("values.image.pullPolicy", pull_policy, ("IfNotPresent", "Always", "Never")),
        image_pull_secrets=_pull_secrets(m["imagePullSecrets"]),
        extra_init_containers=_init_containers(m["extraInitContainers"]),
        pod_labels=pod_labels,
        common_labels=common,
        resources=v.as_resources("values.resources", m["resources"]),
        repair_controller=RepairControllerValues(
            enabled=rc_enabled,
            log_level=v.as_str("values.repairController.logLevel", rc["logLevel"], v.LOG_FILTER, "a log filter"),
            log_format=v.as_choice("values.repairController.logFormat", rc["logFormat"], ("plain", "json")),
            resources=v.as_resources("values.repairController.resources", rc["resources"]),
        ),
        render_legacy_policy_block=plugin < (1, 6, 0),
        render_iptables_keys=plugin >= (1, 4, 0),
    )
    if result.node_affinity is not None and not isinstance(result.node_affinity, dict):
        raise InvalidParams("values.nodeAffinity", "must be a mapping (a NodeAffinity)")
    _gate(release, plugin, "repairController", "values.repairController.enabled", result.repair_controller.enabled)
    _gate(release, plugin, "iptablesMode", "values.iptablesMode", result.iptables_mode != "legacy")
    _gate(release, plugin, "iptablesMode=plain", "values.iptablesMode", result.iptables_mode == "plain")
    _gate(release, plugin, "ipv6", "values.disableIPv6", not result.disable_ipv6)
    _gate(release, plugin, "proxyGID", "values.proxyGID", result.proxy_gid >= 0)
    return result
