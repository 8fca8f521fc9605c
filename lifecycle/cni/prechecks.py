"""Pre-install checks that apply with the CNI enabled (`linkerd check --pre --linkerd-cni-enabled`, facts §3.2).

The `linkerd-version` category is left out: it asks versioncheck.linkerd.io over the internet, which managed
clusters' control planes (cnimgr) must not depend on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lifecycle.checks import Check, CheckContext, Outcome
from lifecycle.objects import can_i, condition, get_object, list_objects, server_version
from lifecycle.versions import at_least

CLOCK_SKEW = dt.timedelta(minutes=5, seconds=10)
# Upstream dry-run-creates every cluster-scoped object of a default control-plane render; cnimgr asks the
# equivalent SelfSubjectAccessReviews instead (no render of the control plane needed here).
NON_NAMESPACED = (("", "namespaces"), ("rbac.authorization.k8s.io", "clusterroles"),
                  ("rbac.authorization.k8s.io", "clusterrolebindings"),
                  ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
                  ("admissionregistration.k8s.io", "validatingwebhookconfigurations"))


def _client(ctx: CheckContext) -> Outcome:
    ctx.conn.api_client()
    return Outcome(True)


def _query(ctx: CheckContext) -> Outcome:
    ctx.cache["version"] = server_version(ctx.conn)
    return Outcome(True, ctx.cache["version"]["gitVersion"])


def _minimum_version(ctx: CheckContext) -> Outcome | None:
    if ctx.release is None:
        return None
    version = ctx.memo("version", lambda: server_version(ctx.conn))
    minimum = ctx.release.min_kubernetes
    if (version["major"], version["minor"]) < minimum:
        return Outcome(False, f"Kubernetes is on version [{version['gitVersion']}], but version "
                       f"[{minimum[0]}.{minimum[1]}.0] or more recent is required")
    return Outcome(True)


def _gateway_api(ctx: CheckContext) -> Outcome | None:
    if ctx.release is None or not (ctx.release.channel == "edge" and at_least(ctx.release, "edge-26.7.1")):
        return None  # the check exists from edge-26.7.1
    crds = [get_object(ctx.conn, "apiextensions.k8s.io/v1", "CustomResourceDefinition",
                       f"{name}.gateway.networking.k8s.io") for name in ("httproutes", "grpcroutes")]
    present = [crd for crd in crds if crd]
    if not present:
        return Outcome(False, "Gateway API CRDs httproutes/grpcroutes.gateway.networking.k8s.io are not installed",
                       "Install the Gateway API standard CRDs first.")
    for crd in present:
        external = "linkerd.io/created-by" not in (crd["metadata"].get("annotations") or {})
        served = {v["name"] for v in crd["spec"].get("versions") or [] if v.get("served")}
        if external and "v1" not in served:
            return Outcome(False, f"{crd['metadata']['name']} does not serve version v1")
    return Outcome(True)


def _namespace_absent(ctx: CheckContext) -> Outcome:
    if get_object(ctx.conn, "v1", "Namespace", ctx.control_plane_namespace):
        return Outcome(False, f"The \"{ctx.control_plane_namespace}\" namespace already exists")
    return Outcome(True)


def _can_create_cluster_scoped(ctx: CheckContext) -> Outcome:
    denied = [f"{res}.{group}".rstrip(".") for group, res in NON_NAMESPACED
              if not can_i(ctx.conn, "create", group, res)]
    return Outcome(not denied, f"cannot create {', '.join(denied)}" if denied else "")


def _can(verb: str, group: str, resource: str):
    def run(ctx: CheckContext) -> Outcome:
        if can_i(ctx.conn, verb, group, resource, ctx.control_plane_namespace):
            return Outcome(True)
        return Outcome(False, f"cannot {verb} {resource} in namespace {ctx.control_plane_namespace}")
    return run


def _extension_apiserver_auth(ctx: CheckContext) -> Outcome:
    config = get_object(ctx.conn, "v1", "ConfigMap", "extension-apiserver-authentication", "kube-system")
    if not ((config or {}).get("data") or {}).get("requestheader-client-ca-file"):
        return Outcome(False, "kube-system/extension-apiserver-authentication has no requestheader-client-ca-file")
    return Outcome(True)


def _clock_skew(ctx: CheckContext) -> Outcome:
    now = dt.datetime.now(dt.UTC)
    skewed = []
    for node in list_objects(ctx.conn, "v1", "Node"):
        ready: dict[str, Any] | None = condition(node, "Ready")
        if not ready or ready.get("status") != "True" or not ready.get("lastHeartbeatTime"):
            continue
        beat = ready["lastHeartbeatTime"]
        beat_at = beat if isinstance(beat, dt.datetime) else dt.datetime.fromisoformat(str(beat).replace("Z", "+00:00"))
        if abs(now - beat_at) > CLOCK_SKEW:
            skewed.append(node["metadata"]["name"])
    return Outcome(not skewed, f"clock skew on node(s): {', '.join(skewed[:10])}" if skewed else "")


KUBERNETES_CHECKS: list[Check] = [
    Check("kubernetes-api", "can initialize the client", _client, fatal=True, anchor="k8s-api"),
    Check("kubernetes-api", "can query the Kubernetes API", _query, fatal=True, anchor="k8s-api"),
    Check("kubernetes-version", "is running the minimum Kubernetes API version", _minimum_version,
          anchor="k8s-version"),
]

PRE_INSTALL_CHECKS: list[Check] = [
    *KUBERNETES_CHECKS,
    Check("gateway-api-crd", "Gateway API CRDs are installed", _gateway_api, fatal=True),
    Check("pre-kubernetes-setup", "control plane namespace does not already exist", _namespace_absent,
          anchor="pre-ns"),
    Check("pre-kubernetes-setup", "can create non-namespaced resources", _can_create_cluster_scoped,
          anchor="pre-k8s-cluster-k8s"),
    *[Check("pre-kubernetes-setup", f"can create {label}", _can("create", group, res), anchor="pre-k8s")
      for label, group, res in (("ServiceAccounts", "", "serviceaccounts"), ("Services", "", "services"),
                                ("Deployments", "apps", "deployments"), ("CronJobs", "batch", "cronjobs"),
                                ("ConfigMaps", "", "configmaps"), ("Secrets", "", "secrets"))],
    Check("pre-kubernetes-setup", "can read Secrets", _can("get", "", "secrets"), anchor="pre-k8s"),
    Check("pre-kubernetes-setup", "can read extension-apiserver-authentication configmap",
          _extension_apiserver_auth, anchor="pre-k8s"),
    Check("pre-kubernetes-setup", "no clock skew detected", _clock_skew, warning_only=True,
          anchor="pre-k8s-clock-skew"),
]
