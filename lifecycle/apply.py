"""Server-side apply, server-side diff and label-based prune through the dynamic client.

SSA with field manager "cnimgr" means a second apply of the same render changes nothing (the server answers with
the unchanged object), and values that a later render drops are removed because cnimgr owned them.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from lifecycle.kube import REQUEST_TIMEOUT_SECONDS, translate_errors

FIELD_MANAGER = "cnimgr"
ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace ("" if cluster-scoped), name

# Dependency order: what a later object refers to must exist first (Namespace before anything in it, the
# ServiceAccount and RBAC before pods use them, the ConfigMap before the DaemonSet reads it).
APPLY_ORDER = ("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
               "ConfigMap", "DaemonSet")

# Every kind the linkerd2-cni chart has ever rendered, except Namespace (never pruned: it may hold other things).
# kubectl's default prune allow-list misses the RBAC kinds and ServiceAccount, so they are listed explicitly.
CNI_PRUNE_KINDS: tuple[tuple[str, str], ...] = (
    ("apps/v1", "DaemonSet"), ("v1", "ConfigMap"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("v1", "ServiceAccount"),
    ("policy/v1beta1", "PodSecurityPolicy"),
)
VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")


@dataclass(frozen=True)
class ObjectDiff:
    key: ObjectKey
    action: str  # "create" | "update" | "unchanged"
    text: str  # unified diff, "" when unchanged

    @property
    def label(self) -> str:
        return describe(self.key)


def describe(key: ObjectKey) -> str:
    _, kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def key_of(obj: dict[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta["name"]


def sort_for_apply(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rank = {kind: i for i, kind in enumerate(APPLY_ORDER)}
    return sorted(manifests, key=lambda m: rank.get(m["kind"], len(rank)))


def _resource(dyn: DynamicClient, api_version: str, kind: str) -> Any:
    return dyn.resources.get(api_version=api_version, kind=kind)


def clean(obj: dict[str, Any] | None) -> dict[str, Any]:
    """Drop what the server changes on every write, so the diff shows only real changes."""
    if not obj:
        return {}
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for field in VOLATILE_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    annotations.pop("deprecated.daemonset.template.generation", None)
    if not annotations:
        meta.pop("annotations", None)
    return out


def get_live(dyn: DynamicClient, key: ObjectKey) -> dict[str, Any] | None:
    api_version, kind, namespace, name = key
    with translate_errors(f"read {describe(key)}"):
        try:
            found = _resource(dyn, api_version, kind).get(name=name, namespace=namespace or None,
                                                          _request_timeout=REQUEST_TIMEOUT_SECONDS)
        except NotFoundError:
            return None
    return found.to_dict()


def apply_one(dyn: DynamicClient, manifest: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    key = key_of(manifest)
    with translate_errors(f"{'dry-run ' if dry_run else ''}apply {describe(key)}"):
        resource = _resource(dyn, manifest["apiVersion"], manifest["kind"])
        result = resource.server_side_apply(
            body=manifest, name=key[3], namespace=key[2] or None, field_manager=FIELD_MANAGER,
            force_conflicts=True, dry_run="All" if dry_run else None, _request_timeout=REQUEST_TIMEOUT_SECONDS,
        )
    return result.to_dict()


def _yaml_lines(obj: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines(keepends=True) if obj else []


def diff_one(dyn: DynamicClient, manifest: dict[str, Any], namespace_pending: bool) -> ObjectDiff:
    """Compare the live object with what a server-side dry-run apply would make of it."""
    key = key_of(manifest)
    live = None if namespace_pending else get_live(dyn, key)
    # The server cannot dry-run objects in a namespace that does not exist yet; show the render instead.
    desired = manifest if namespace_pending else apply_one(dyn, manifest, dry_run=True)
    before, after = clean(live), clean(desired)
    if live is not None and before == after:
        return ObjectDiff(key, "unchanged", "")
    text = "".join(difflib.unified_diff(_yaml_lines(before), _yaml_lines(after),
                                        fromfile=f"live {describe(key)}", tofile=f"cnimgr {describe(key)}"))
    return ObjectDiff(key, "create" if live is None else "update", text)


def diff(dyn: DynamicClient, manifests: list[dict[str, Any]]) -> list[ObjectDiff]:
    pending_namespaces = {
        m["metadata"]["name"] for m in manifests
        if m["kind"] == "Namespace" and get_live(dyn, key_of(m)) is None
    }
    return [diff_one(dyn, m, (m["metadata"].get("namespace") or "") in pending_namespaces)
            for m in sort_for_apply(manifests)]


def list_labelled(dyn: DynamicClient, selector: str,
                  kinds: tuple[tuple[str, str], ...] = CNI_PRUNE_KINDS) -> list[dict[str, Any]]:
    """Every object of ``kinds`` matching ``selector``, in all namespaces. Kinds the cluster lacks are skipped."""
    found: list[dict[str, Any]] = []
    for api_version, kind in kinds:
        try:
            resource = _resource(dyn, api_version, kind)
        except ResourceNotFoundError:
            continue  # e.g. PodSecurityPolicy on Kubernetes >= 1.25
        with translate_errors(f"list {kind} objects labelled {selector}"):
            items = resource.get(label_selector=selector, _request_timeout=REQUEST_TIMEOUT_SECONDS).to_dict()
        for item in items.get("items") or []:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            found.append(item)
    return found


def delete_one(dyn: DynamicClient, key: ObjectKey) -> bool:
    """Delete one object (background propagation). False if it was already gone."""
    api_version, kind, namespace, name = key
    with translate_errors(f"delete {describe(key)}"):
        try:
            _resource(dyn, api_version, kind).delete(
                name=name, namespace=namespace or None, propagation_policy="Background",
                _request_timeout=REQUEST_TIMEOUT_SECONDS,
            )
        except NotFoundError:
            return False
    return True


def prune_candidates(dyn: DynamicClient, selector: str, keep: set[ObjectKey],
                     kinds: tuple[tuple[str, str], ...] = CNI_PRUNE_KINDS) -> list[ObjectKey]:
    """Labelled objects that the new render no longer contains. Matching ignores the apiVersion's version part,
    since the same object is served under several versions."""
    def group_kind(key: ObjectKey) -> tuple[str, str, str, str]:
        group = key[0].rpartition("/")[0]
        return group, key[1], key[2], key[3]

    kept = {group_kind(k) for k in keep}
    return [key_of(obj) for obj in list_labelled(dyn, selector, kinds) if group_kind(key_of(obj)) not in kept]


def prune(dyn: DynamicClient, selector: str, keep: set[ObjectKey],
          kinds: tuple[tuple[str, str], ...] = CNI_PRUNE_KINDS) -> list[ObjectKey]:
    """Delete every labelled object of ``kinds`` that is not in ``keep``; return what was deleted."""
    return [key for key in prune_candidates(dyn, selector, keep, kinds) if delete_one(dyn, key)]
