"""connectivity: reach the API server, report its version, and verify every permission cnimgr needs."""

from __future__ import annotations

from typing import Any

from lifecycle.kube import ClusterConnection
from lifecycle.objects import can_i, server_version
from lifecycle.ops.common import OperationSpec, Params, Steps, refuse_unknown
from lifecycle.permissions import access_checks
from lifecycle.reporting import OperationFailed, Reporter


def describe_permission(verb: str, group: str, resource: str) -> str:
    return f"cannot {verb} {resource}{'.' + group if group else ''}"


def validate(params: Params) -> Params:
    refuse_unknown(params, set())
    return {}


def run(conn: ClusterConnection, params: Params, reporter: Reporter) -> dict[str, Any]:
    steps = Steps(reporter, ["version", "permissions"])
    steps.start("version", f"querying {conn.server}/version")
    version = server_version(conn)
    reporter.event(f"Kubernetes {version['gitVersion']}", step="version", data=version)
    steps.finish()
    triples = access_checks()
    steps.start("permissions", f"checking {len(triples)} permissions with SelfSubjectAccessReviews")
    missing = []
    for index, (verb, group, resource) in enumerate(triples):
        if index % 10 == 0:
            reporter.checkpoint()
        if not can_i(conn, verb, group, resource):
            missing.append(describe_permission(verb, group, resource))
            reporter.event(missing[-1], step="permissions", level="error")
    steps.finish()
    result = {"kubernetes_version": version["gitVersion"], "permissions_checked": len(triples), "missing": missing}
    if missing:
        raise OperationFailed(f"{len(missing)} of {len(triples)} permissions missing: {', '.join(missing[:5])}"
                              + (" …" if len(missing) > 5 else ""),
                              hint="Grant cnimgr the ClusterRole from docs/permissions.md (lifecycle.permissions."
                                   "cluster_role()) and run connectivity again.", data=result)
    reporter.event(f"all {len(triples)} permissions granted", step="permissions")
    return result


SPEC = OperationSpec("connectivity", mutating=False, description="Reach the API server and check cnimgr's RBAC",
                     validate_fn=validate, run_fn=run)
