"""Read helpers over the dynamic client that return plain dicts (camelCase, as the API serves them)."""

from __future__ import annotations

import re
from typing import Any

from kubernetes import client as k8s
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from lifecycle.kube import REQUEST_TIMEOUT_SECONDS, ClusterConnection, translate_errors


def get_object(conn: ClusterConnection, api_version: str, kind: str, name: str,
               namespace: str | None = None) -> dict[str, Any] | None:
    """The object, or None if it (or its kind) does not exist."""
    where = f"{namespace}/{name}" if namespace else name
    with translate_errors(f"read {kind} {where}"):
        try:
            resource = conn.dynamic().resources.get(api_version=api_version, kind=kind)
            return resource.get(name=name, namespace=namespace, _request_timeout=REQUEST_TIMEOUT_SECONDS).to_dict()
        except (NotFoundError, ResourceNotFoundError):
            return None


def list_objects(conn: ClusterConnection, api_version: str, kind: str, *, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None) -> list[dict[str, Any]]:
    with translate_errors(f"list {kind} objects"):
        try:
            resource = conn.dynamic().resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            return []
        result = resource.get(namespace=namespace, label_selector=label_selector, field_selector=field_selector,
                              _request_timeout=REQUEST_TIMEOUT_SECONDS).to_dict()
    return list(result.get("items") or [])


def server_version(conn: ClusterConnection) -> dict[str, Any]:
    """GET /version: {"gitVersion": "v1.36.3", "major": 1, "minor": 36}."""
    with translate_errors("query the API server version (/version)"):
        info = k8s.VersionApi(conn.api_client()).get_code(_request_timeout=REQUEST_TIMEOUT_SECONDS)
    match = re.match(r"v?(\d+)\.(\d+)", info.git_version or "")
    major, minor = (int(match[1]), int(match[2])) if match else (int(info.major), int(re.sub(r"\D", "", info.minor)))
    return {"gitVersion": info.git_version, "major": major, "minor": minor}


def can_i(conn: ClusterConnection, verb: str, group: str, resource: str, namespace: str | None = None) -> bool:
    """SelfSubjectAccessReview for one verb on one resource (cluster-wide when namespace is None)."""
    attributes: dict[str, Any] = {"verb": verb, "group": group, "resource": resource}
    if namespace:
        attributes["namespace"] = namespace
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}
    with translate_errors(f"ask whether cnimgr can {verb} {resource}"):
        review = k8s.AuthorizationV1Api(conn.api_client()).create_self_subject_access_review(
            body=body, _request_timeout=REQUEST_TIMEOUT_SECONDS)
    return bool(review.status and review.status.allowed)


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def is_true(obj: dict[str, Any], kind: str) -> bool:
    cond = condition(obj, kind)
    return bool(cond and cond.get("status") == "True")
