"""Render the linkerd2-cni manifests (facts §1) as plain dicts, without Helm.

Names, labels and annotations match `linkerd install-cni` so CLI and Helm installs can be adopted. Deliberate
differences (each one fixes an upstream quirk) are listed in docs/cni-lifecycle.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import yaml

from lifecycle.cni.values import CNIValues
from lifecycle.versions import Release

NAME = "linkerd-cni"
CONFIGMAP_NAME = "linkerd-cni-config"
RESOURCE_LABEL = "linkerd.io/cni-resource"
SELECTOR = f"{RESOURCE_LABEL}=true"
CREATED_BY = "linkerd.io/created-by"
REPAIR_CONTROLLER_COMMAND = "/usr/lib/linkerd/linkerd-cni-repair-controller"


@dataclass(frozen=True)
class Rendered:
    manifests: list[dict[str, Any]]
    content_hash: str  # sha256 of the canonical JSON of ``manifests``

    def yaml_text(self) -> str:
        return to_yaml(self.manifests)

    def keys(self) -> set[tuple[str, str, str, str]]:
        return {object_key(m) for m in self.manifests}


def object_key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta["name"]


def content_hash(manifests: list[dict[str, Any]]) -> str:
    canonical = json.dumps(manifests, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the CNI JSON template) as readable ``|`` blocks, the way the chart writes them."""


def _str_representer(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _str_representer)


def to_yaml(manifests: list[dict[str, Any]]) -> str:
    return "".join("---\n" + yaml.dump(m, Dumper=_BlockDumper, sort_keys=False, default_flow_style=False)
                   for m in manifests)


def created_by(release: Release) -> str:
    return f"cnimgr {release.version}"


def _labels(values: CNIValues, **extra: str) -> dict[str, str]:
    return {**extra, RESOURCE_LABEL: "true", **values.common_labels}


def _meta(name: str, values: CNIValues, *, namespaced: bool = True, **extra_labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespaced:
        meta["namespace"] = values.namespace
    meta["labels"] = _labels(values, **extra_labels)
    return meta


def cni_network_config(values: CNIValues) -> str:
    """The JSON template text, laid out line by line like the chart renders it (the installer substitutes it)."""
    inbound = [str(values.proxy_admin_port), str(values.proxy_control_port)]
    inbound += values.ignore_inbound_ports.split(",") if values.ignore_inbound_ports else []
    lines = ["{", '  "name": "linkerd-cni",', '  "type": "linkerd-cni",', f'  "log_level": "{values.log_level}",']
    if values.render_legacy_policy_block:
        lines += ['  "policy": {', '      "type": "k8s",',
                  '      "k8s_api_root": "https://__KUBERNETES_SERVICE_HOST__:__KUBERNETES_SERVICE_PORT__",',
                  '      "k8s_auth_token": "__SERVICEACCOUNT_TOKEN__"', "  },"]
    lines += ['  "kubernetes": {', '      "kubeconfig": "__KUBECONFIG_FILEPATH__"', "  },", '  "linkerd": {',
              f'    "incoming-proxy-port": {values.inbound_proxy_port},',
              f'    "outgoing-proxy-port": {values.outbound_proxy_port},',
              f'    "proxy-uid": {values.proxy_uid},']
    if values.proxy_gid >= 0:
        lines.append(f'    "proxy-gid": {values.proxy_gid},')
    lines.append(f'    "ports-to-redirect": [{values.ports_to_redirect}],')
    lines.append('    "inbound-ports-to-ignore": [' + ",".join(f'"{p}"' for p in inbound) + "],")
    if values.ignore_outbound_ports:
        outbound = ",".join(f'"{p}"' for p in values.ignore_outbound_ports.split(","))
        lines.append(f'    "outbound-ports-to-ignore": [{outbound}],')
    lines.append('    "simulate": false,')
    if values.render_iptables_keys:
        lines += [f'    "use-wait-flag": {str(values.use_wait_flag).lower()},',
                  f'    "iptables-mode": "{values.iptables_mode}",',
                  f'    "ipv6": {str(not values.disable_ipv6).lower()}']
    else:
        lines.append(f'    "use-wait-flag": {str(values.use_wait_flag).lower()}')
    lines += ["  }", "}"]
    return "\n".join(lines)


def _resources(spec: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for resource, amounts in spec.items():
        for key, plural in (("limit", "limits"), ("request", "requests")):
            if key in amounts:
                out.setdefault(plural, {})[resource] = amounts[key]
    return out


def _config_env(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": CONFIGMAP_NAME, "key": key}}}


def _install_container(values: CNIValues) -> dict[str, Any]:
    mounts = [{"mountPath": f"/host{values.dest_cni_net_dir}", "name": "cni-net-dir"}]
    if values.dest_cni_bin_dir != values.dest_cni_net_dir:
        mounts.insert(0, {"mountPath": f"/host{values.dest_cni_bin_dir}", "name": "cni-bin-dir"})
    container: dict[str, Any] = {
        "name": "install-cni",
        "image": values.image,
        "imagePullPolicy": values.image_pull_policy,
        "env": [_config_env("DEST_CNI_NET_DIR", "dest_cni_net_dir"),
                _config_env("DEST_CNI_BIN_DIR", "dest_cni_bin_dir"),
                _config_env("CNI_NETWORK_CONFIG", "cni_network_config"), {"name": "SLEEP", "value": "true"}],
        # The preStop kill makes the installer run its cleanup (remove the conflist entries) before exit.
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "kill -15 1; sleep 15s"]}}},
        "volumeMounts": [*mounts, {"mountPath": "/tmp", "name": "linkerd-tmp-dir"}],  # noqa: S108 (in-pod emptyDir)
        "securityContext": {"readOnlyRootFilesystem": True, "privileged": values.privileged},
    }
    if values.resources:
        container["resources"] = _resources(values.resources)
    return container


def _repair_container(values: CNIValues) -> dict[str, Any]:
    rc = values.repair_controller
    admin_addr = "0.0.0.0:9990" if values.disable_ipv6 else "[::]:9990"
    container: dict[str, Any] = {
        "name": "repair-controller",
        "image": values.image,
        "imagePullPolicy": values.image_pull_policy,
        "env": [
            {"name": "LINKERD_CNI_REPAIR_CONTROLLER_NODE_NAME",
             "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "LINKERD_CNI_REPAIR_CONTROLLER_POD_NAME",
             "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "command": [REPAIR_CONTROLLER_COMMAND],
        "args": ["--admin-addr", admin_addr, "--log-format", rc.log_format, "--log-level", rc.log_level],
        "ports": [{"containerPort": 9990, "name": "repair-admin"}],
        "livenessProbe": {"httpGet": {"path": "/live", "port": "repair-admin"}},
        "readinessProbe": {"failureThreshold": 7, "httpGet": {"path": "/ready", "port": "repair-admin"},
                           "initialDelaySeconds": 10},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }
    if rc.resources:
        container["resources"] = _resources(rc.resources)
    return container


def _volumes(values: CNIValues) -> list[dict[str, Any]]:
    volumes = [{"name": "cni-net-dir", "hostPath": {"path": values.dest_cni_net_dir}}]
    if values.dest_cni_bin_dir != values.dest_cni_net_dir:
        volumes.insert(0, {"name": "cni-bin-dir", "hostPath": {"path": values.dest_cni_bin_dir}})
    return [*volumes, {"name": "linkerd-tmp-dir", "emptyDir": {}}]


def _daemonset(values: CNIValues, release: Release) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {}
    if values.tolerations:
        pod_spec["tolerations"] = values.tolerations
    pod_spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
    if values.node_affinity:
        pod_spec["affinity"] = {"nodeAffinity": values.node_affinity}
    pod_spec["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    pod_spec["serviceAccountName"] = NAME
    if values.priority_class_name:
        pod_spec["priorityClassName"] = values.priority_class_name
    if values.extra_init_containers:
        pod_spec["initContainers"] = values.extra_init_containers
    pod_spec["containers"] = [_install_container(values)]
    if values.repair_controller.enabled:
        pod_spec["containers"].append(_repair_container(values))
    pod_spec["volumes"] = _volumes(values)
    meta = _meta(NAME, values, **{"k8s-app": NAME})
    meta["annotations"] = {CREATED_BY: created_by(release)}
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
        "spec": {
            "revisionHistoryLimit": values.revision_history_limit,
            "selector": {"matchLabels": {"k8s-app": NAME}},
            "updateStrategy": {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": values.max_unavailable}},
            "template": {
                "metadata": {"labels": {"k8s-app": NAME, RESOURCE_LABEL: "true", **values.pod_labels},
                             "annotations": {CREATED_BY: created_by(release), "linkerd.io/inject": "disabled"}},
                "spec": pod_spec,
            },
        },
    }


def _cluster_role(values: CNIValues) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        {"apiGroups": [""], "resources": ["pods", "nodes", "namespaces", "services"], "verbs": ["list", "get", "watch"]}
    ]
    if values.repair_controller.enabled:
        rules += [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
                  {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}]
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": _meta(NAME, values, namespaced=False), "rules": rules}


def render(values: CNIValues, release: Release) -> Rendered:
    """All CNI objects in apply order: Namespace, ServiceAccount, RBAC, ConfigMap, DaemonSet."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": values.namespace, "labels": {
        RESOURCE_LABEL: "true", "config.linkerd.io/admission-webhooks": "disabled",
        "pod-security.kubernetes.io/enforce": "privileged"}}}
    service_account: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME, values)}
    if values.image_pull_secrets:
        service_account["imagePullSecrets"] = values.image_pull_secrets
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": _meta(NAME, values, namespaced=False),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
               "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": values.namespace}]}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(CONFIGMAP_NAME, values),
                  "data": {"dest_cni_net_dir": values.dest_cni_net_dir, "dest_cni_bin_dir": values.dest_cni_bin_dir,
                           "cni_network_config": cni_network_config(values)}}
    manifests = [namespace, service_account, _cluster_role(values), binding, config_map, _daemonset(values, release)]
    return Rendered(manifests=manifests, content_hash=content_hash(manifests))
