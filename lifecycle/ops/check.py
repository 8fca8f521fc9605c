"""check: the CNI health checks (default) or the pre-install checks for a control plane with CNI enabled."""

from __future__ import annotations

from typing import Any

from lifecycle.checks import CheckContext
from lifecycle.cni.checks import CNIMGR_CNI_CHECKS, LINKERD_CNI_PLUGIN_CHECKS
from lifecycle.cni.prechecks import KUBERNETES_CHECKS, PRE_INSTALL_CHECKS
from lifecycle.cni.render import NAME
from lifecycle.cni.validation import as_choice
from lifecycle.kube import ClusterConnection
from lifecycle.objects import get_object
from lifecycle.observe import observe
from lifecycle.ops.common import Params, Steps, checks_or_fail, namespace_param, refuse_unknown, seconds_param
from lifecycle.reporting import Reporter
from lifecycle.versions import get_release

MODES = ("cni", "pre")


def validate(params: Params) -> Params:
    refuse_unknown(params, {"mode", "version", "namespace", "control_plane_namespace", "wait_seconds"})
    return {"mode": as_choice("mode", params.get("mode", "cni"), MODES),
            "version": get_release(params["version"]).version if params.get("version") else None,
            "namespace": namespace_param(params, "namespace", "linkerd-cni"),
            "control_plane_namespace": namespace_param(params, "control_plane_namespace", "linkerd"),
            "wait_seconds": seconds_param(params, "wait_seconds", 0)}


def _expected_image(conn: ClusterConnection, params: Params) -> str | None:
    """The target image when a version is given: the live image name with the release's plugin tag."""
    if not params["version"]:
        return None
    ds = get_object(conn, "apps/v1", "DaemonSet", NAME, params["namespace"])
    containers = ((((ds or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    live = next((c.get("image", "") for c in containers if c.get("name") == "install-cni"), "")
    name = live.rpartition(":")[0] or "cr.l5d.io/linkerd/cni-plugin"
    return f"{name}:{get_release(params['version']).cni_plugin}"


def run(conn: ClusterConnection, params: Params, reporter: Reporter) -> dict[str, Any]:
    steps = Steps(reporter, ["check", "observe"])
    release = get_release(params["version"]) if params["version"] else None
    ctx = CheckContext(conn, release, params["namespace"], params["control_plane_namespace"])
    if params["mode"] == "pre":
        checks = [*PRE_INSTALL_CHECKS, *LINKERD_CNI_PLUGIN_CHECKS]
    else:
        checks = [*KUBERNETES_CHECKS, *LINKERD_CNI_PLUGIN_CHECKS, *CNIMGR_CNI_CHECKS]
    steps.start("check", f"running {len(checks)} {params['mode']} checks")
    ctx.expected_image = _expected_image(conn, params)
    outcome = checks_or_fail(checks, ctx, reporter, wait_seconds=params["wait_seconds"], what=f"{params['mode']} check")
    steps.finish()
    steps.start("observe", "reading what is installed now")
    observed = observe(conn, params["namespace"], params["control_plane_namespace"])
    steps.finish()
    return {"mode": params["mode"], "checks": outcome, "observed": observed}
