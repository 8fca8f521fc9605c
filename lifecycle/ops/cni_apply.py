"""install-cni and upgrade-cni: render, diff, apply (and prune on upgrade), wait for the rollout, check."""

from __future__ import annotations

from typing import Any

from lifecycle import apply
from lifecycle.checks import CheckContext
from lifecycle.cni.checks import CNIMGR_CNI_CHECKS, LINKERD_CNI_PLUGIN_CHECKS
from lifecycle.cni.prechecks import KUBERNETES_CHECKS
from lifecycle.cni.render import NAME, SELECTOR, Rendered, render
from lifecycle.cni.values import CNIValues, build_values
from lifecycle.cni.wait import wait_for_rollout
from lifecycle.errors import InvalidParams
from lifecycle.kube import ClusterConnection
from lifecycle.observe import observe, observe_cni
from lifecycle.ops.common import Params, Steps, checks_or_fail, namespace_param, refuse_unknown, seconds_param
from lifecycle.reporting import OperationFailed, Reporter
from lifecycle.versions import Release, check_upgrade, get_release, known_versions

INSTALL_PARAMS = {"version", "values", "flags", "namespace", "control_plane_namespace", "timeout_seconds",
                  "wait_seconds"}


def validate_install(params: Params, extra: frozenset[str] = frozenset()) -> Params:
    refuse_unknown(params, INSTALL_PARAMS | extra)
    if not params.get("version"):
        raise InvalidParams("version", "is required; known versions: " + ", ".join(known_versions()))
    release = get_release(params["version"])
    normalised = {
        "version": release.version, "values": params.get("values") or {}, "flags": params.get("flags") or {},
        "namespace": namespace_param(params, "namespace", "linkerd-cni"),
        "control_plane_namespace": namespace_param(params, "control_plane_namespace", "linkerd"),
        "timeout_seconds": seconds_param(params, "timeout_seconds", 300),
        "wait_seconds": seconds_param(params, "wait_seconds", 30),
    }
    build_values(normalised["values"], normalised["flags"], release, normalised["namespace"])
    return normalised


def validate_upgrade(params: Params) -> Params:
    normalised = validate_install(params, frozenset({"from_version"}))
    if params.get("from_version"):
        source = get_release(params["from_version"], "from_version")
        check_upgrade(source, get_release(normalised["version"]))
        normalised["from_version"] = source.version
    return normalised


def _installed_release(existing: dict[str, Any], params: Params) -> Release | None:
    known = existing.get("linkerd_version")
    if params.get("from_version"):
        return get_release(params["from_version"], "from_version")
    try:
        return get_release(known) if known else None
    except InvalidParams:
        return None


def _preflight_install(existing: dict[str, Any], release: Release, reporter: Reporter) -> None:
    if not existing["installed"]:
        reporter.event("no linkerd-cni DaemonSet found: fresh install", step="preflight")
        return
    installed = existing.get("linkerd_version")
    reporter.event(f"found linkerd-cni {existing['version']} in {existing['namespace']} "
                   f"(installed by {existing['installed_by']})", step="preflight", data=existing)
    if installed and installed != release.version:
        raise OperationFailed(f"the CNI plugin is already installed at {installed}",
                              hint=f"Use upgrade-cni to move from {installed} to {release.version}.")
    if not installed and existing["version"] != release.cni_plugin:
        raise OperationFailed(f"the installed CNI plugin runs {existing['version']}, {release.version} ships "
                              f"{release.cni_plugin}", hint="Use upgrade-cni with from_version set to the Linkerd "
                              "release that installed it.")


def _preflight_upgrade(existing: dict[str, Any], release: Release, params: Params, reporter: Reporter) -> Release:
    if not existing["installed"]:
        raise OperationFailed("the CNI plugin is not installed", hint="Use install-cni.")
    source = _installed_release(existing, params)
    if source is None:
        raise OperationFailed("cannot tell which Linkerd release installed the CNI plugin "
                              f"(created-by: {existing.get('created_by') or 'none'})",
                              hint="Pass from_version (Helm installs record only the image tag).")
    if existing["version"] != source.cni_plugin:
        reporter.event(f"the DaemonSet runs {existing['version']}, but {source.version} ships {source.cni_plugin}",
                       step="preflight", level="warning")
    try:
        warnings = check_upgrade(source, release)
    except InvalidParams as exc:
        raise OperationFailed(exc.message, hint="Upgrade one major version at a time.",
                              data={"field": exc.field}) from exc
    for warning in warnings:
        reporter.event(warning, step="preflight", level="warning")
    reporter.event(f"upgrading the CNI plugin from {source.version} to {release.version}", step="preflight")
    return source


def _diff(conn: ClusterConnection, rendered: Rendered, reporter: Reporter, result: dict[str, Any]) -> None:
    diffs = apply.diff(conn.dynamic(), rendered.manifests)
    result["diff"] = [{"object": d.label, "action": d.action, "diff": d.text} for d in diffs]
    for d in diffs:
        reporter.event(f"{d.label}: {d.action}", step="diff", data={"diff": d.text} if d.text else None)
    result["changed"] = any(d.action != "unchanged" for d in diffs)


def _apply(conn: ClusterConnection, rendered: Rendered, reporter: Reporter, result: dict[str, Any]) -> None:
    if not result["changed"]:
        reporter.event("no changes", step="apply")
        return
    dyn = conn.dynamic()
    for manifest in apply.sort_for_apply(rendered.manifests):
        reporter.checkpoint()
        key = apply.key_of(manifest)
        apply.apply_one(dyn, manifest)
        result["applied"].append(apply.describe(key))
        reporter.event(f"applied {apply.describe(key)}", step="apply")


def _run(conn: ClusterConnection, params: Params, reporter: Reporter, upgrade: bool) -> dict[str, Any]:
    names = ["preflight", "render", "diff", "apply", *(["prune"] if upgrade else []), "wait", "check", "observe"]
    steps = Steps(reporter, names)
    release = get_release(params["version"])
    values: CNIValues = build_values(params["values"], params["flags"], release, params["namespace"])
    ctx = CheckContext(conn, release, params["namespace"], params["control_plane_namespace"], values.image)
    result: dict[str, Any] = {"version": release.version, "namespace": values.namespace, "applied": [],
                              "pruned": [], "changed": False}
    try:
        steps.start("preflight", f"checking the cluster before {'upgrading' if upgrade else 'installing'}")
        result["preflight"] = checks_or_fail(KUBERNETES_CHECKS, ctx, reporter, wait_seconds=0, what="preflight")
        existing = observe_cni(conn, values.namespace)
        if upgrade:
            result["from_version"] = _preflight_upgrade(existing, release, params, reporter).version
        else:
            _preflight_install(existing, release, reporter)
        if release.unverified:
            reporter.event(f"{release.version}: {release.note}", step="preflight", level="warning")
        steps.finish()
        steps.start("render", f"rendering linkerd-cni for {release.version} ({values.image})")
        rendered = render(values, release)
        result.update(manifests=rendered.yaml_text(), content_hash=rendered.content_hash)
        reporter.event(f"{len(rendered.manifests)} objects, sha256 {rendered.content_hash[:12]}", step="render")
        steps.finish()
        steps.start("diff", "comparing with the cluster (server-side dry run)")
        _diff(conn, rendered, reporter, result)
        steps.finish()
        steps.start("apply", "server-side apply (field manager cnimgr)")
        _apply(conn, rendered, reporter, result)
        steps.finish()
        if upgrade:
            steps.start("prune", f"deleting objects labelled {SELECTOR} that the new render no longer contains")
            pruned = apply.prune(conn.dynamic(), SELECTOR, rendered.keys())
            result["pruned"] = [apply.describe(k) for k in pruned]
            for label in result["pruned"]:
                reporter.event(f"pruned {label}", step="prune")
            result["changed"] = result["changed"] or bool(pruned)
            steps.finish()
        steps.start("wait", f"waiting up to {params['timeout_seconds']}s for the DaemonSet rollout")
        status = wait_for_rollout(conn, values.namespace, NAME, reporter, timeout_seconds=params["timeout_seconds"])
        result["rollout"] = {"desired": status.desired, "updated": status.updated, "available": status.available}
        steps.finish()
        steps.start("check", "running the linkerd-cni-plugin checks")
        result["checks"] = checks_or_fail(LINKERD_CNI_PLUGIN_CHECKS + CNIMGR_CNI_CHECKS, ctx, reporter,
                                          wait_seconds=params["wait_seconds"], what="checks")
        steps.finish()
    except OperationFailed as exc:
        exc.data.setdefault("result", result)
        raise
    steps.start("observe", "reading what is installed now")
    result["observed"] = observe(conn, values.namespace, params["control_plane_namespace"])
    steps.finish()
    return result


def run_install(conn: ClusterConnection, params: Params, reporter: Reporter) -> dict[str, Any]:
    return _run(conn, params, reporter, upgrade=False)


def run_upgrade(conn: ClusterConnection, params: Params, reporter: Reporter) -> dict[str, Any]:
    return _run(conn, params, reporter, upgrade=True)
