"""The CNI lifecycle against real API servers with kwok nodes (testbed), run as the least-privilege user
"cnimgr" so the permission list in lifecycle/permissions.py is proven sufficient."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client as k8s

from lifecycle.apply import CNI_PRUNE_KINDS
from lifecycle.kube import ClusterConnection
from lifecycle.objects import list_objects
from lifecycle.operations import KINDS
from lifecycle.reporting import MemoryReporter, OperationFailed

pytestmark = pytest.mark.fleet

NS = "linkerd-cni"
SELECTOR = "linkerd.io/cni-resource=true"
TARGET = "edge-26.8.3"


def connect(cluster: Any, user: str = "cnimgr") -> ClusterConnection:
    return ClusterConnection(name=cluster.name, server=cluster.server, ca_pem=cluster.ca_pem,
                             **cluster.credentials(user))


def run(conn: ClusterConnection, kind: str, **params: Any) -> tuple[dict[str, Any], MemoryReporter]:
    reporter = MemoryReporter()
    return KINDS[kind].run(conn, params, reporter), reporter


def labelled(conn: ClusterConnection) -> dict[tuple[str, str, str], str]:
    """(kind, namespace, name) -> resourceVersion of every object carrying the CNI label."""
    found = {}
    for api_version, kind in (*CNI_PRUNE_KINDS, ("v1", "Namespace")):
        for obj in list_objects(conn, api_version, kind, label_selector=SELECTOR):
            meta = obj["metadata"]
            found[(kind, meta.get("namespace") or "", meta["name"])] = meta["resourceVersion"]
    return found


def uninstall(cluster: Any) -> None:
    with connect(cluster) as conn:
        result, _ = run(conn, "uninstall-cni", timeout_seconds=120)
        assert result["observed"]["cni"] == {"installed": False}
        assert labelled(conn) == {}


def reset_cluster(cluster: Any) -> None:
    for hold in list(cluster.faults.held_pods):
        cluster.release_pod(hold.namespace, hold.daemonset, hold.node)
    with connect(cluster) as conn:
        if labelled(conn):
            uninstall(cluster)


def reset(fleet: Any) -> None:
    # In parallel: most of an uninstall is waiting for the namespace controller.
    with ThreadPoolExecutor(max_workers=len(fleet.clusters)) as pool:
        list(pool.map(reset_cluster, fleet.clusters))


@pytest.fixture
def cleanup(fleet):
    """Every test starts and ends with no CNI installed on any cluster."""
    reset(fleet)
    yield
    reset(fleet)


def test_connectivity_as_cnimgr_finds_every_permission(fleet):
    with connect(fleet.clusters[0]) as conn:
        result, _ = run(conn, "connectivity")
    assert result["missing"] == [] and result["kubernetes_version"].startswith("v1.")


def test_install_on_three_clusters_then_second_run_changes_nothing(fleet, cleanup):
    for cluster in fleet.clusters:
        with connect(cluster) as conn:
            result, reporter = run(conn, "install-cni", version=TARGET, timeout_seconds=120)
            assert result["changed"] is True
            assert result["rollout"]["desired"] == len(cluster.node_names)
            assert result["checks"]["success"] is True
            assert result["observed"]["cni"]["version"] == "v1.7.0-alpha.1"
            assert result["observed"]["cni"]["installed_by"] == "cnimgr"
            pods = list_objects(conn, "v1", "Pod", namespace=NS, label_selector="k8s-app=linkerd-cni")
            assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(cluster.node_names)
            before = labelled(conn)

            again, reporter = run(conn, "install-cni", version=TARGET, timeout_seconds=120)
            assert again["changed"] is False and again["applied"] == []
            assert "no changes" in reporter.messages("apply")
            assert {d["action"] for d in again["diff"]} == {"unchanged"}
            assert again["content_hash"] == result["content_hash"]
            assert labelled(conn) == before  # not one resourceVersion moved


def test_upgrade_prunes_only_what_the_new_render_dropped(fleet, cleanup):
    cluster = fleet.clusters[0]
    with connect(cluster) as conn:
        run(conn, "install-cni", version="edge-25.10.7", values={"repairController": {"enabled": True}},
            timeout_seconds=120)
        # A labelled Role/RoleBinding "linkerd-cni": what enablePSP rendered on pre-1.25 clusters. No real upgrade
        # between catalogue versions drops a whole object, so this leftover stands in for one (see docs).
        with cluster.api_client("admin") as api:
            rbac = k8s.RbacAuthorizationV1Api(api)
            meta = {"name": "linkerd-cni", "namespace": NS, "labels": {"linkerd.io/cni-resource": "true"}}
            rbac.create_namespaced_role(NS, {"metadata": meta, "rules": []})
            rbac.create_namespaced_role_binding(NS, {
                "metadata": meta, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                              "name": "linkerd-cni"},
                "subjects": [{"kind": "ServiceAccount", "name": "linkerd-cni", "namespace": NS}]})
        before = labelled(conn)

        result, reporter = run(conn, "upgrade-cni", version=TARGET, timeout_seconds=120,
                               values={"repairController": {"enabled": False}})

        after = labelled(conn)
        assert result["from_version"] == "edge-25.10.7"
        assert sorted(result["pruned"]) == ["Role linkerd-cni/linkerd-cni", "RoleBinding linkerd-cni/linkerd-cni"]
        assert set(before) - set(after) == {("Role", NS, "linkerd-cni"), ("RoleBinding", NS, "linkerd-cni")}
        changed = {key for key in after if after[key] != before[key]}
        assert changed == {("ClusterRole", "", "linkerd-cni"), ("DaemonSet", NS, "linkerd-cni")}
        role = next(o for o in list_objects(conn, "rbac.authorization.k8s.io/v1", "ClusterRole",
                                            label_selector=SELECTOR))
        assert all("delete" not in rule["verbs"] for rule in role["rules"])  # repair-controller rules gone
        assert result["observed"]["cni"]["version"] == "v1.7.0-alpha.1"
        assert result["observed"]["cni"]["repair_controller"] is False
        assert {d["object"]: d["action"] for d in result["diff"]}["ConfigMap linkerd-cni/linkerd-cni-config"] \
            == "unchanged"


def test_upgrade_refuses_to_skip_a_major(fleet, cleanup):
    with connect(fleet.clusters[1]) as conn:
        run(conn, "install-cni", version="edge-24.8.2", timeout_seconds=120)
        with pytest.raises(OperationFailed, match="one major version at a time"):
            run(conn, "upgrade-cni", version="edge-25.4.4")


def failed_checks(conn: ClusterConnection, **params: Any) -> list[str]:
    with pytest.raises(OperationFailed) as err:
        run(conn, "check", **params)
    return err.value.data["checks"]["failed"]


def test_broken_clusters_fail_the_right_checks(fleet, cleanup):
    conns = [connect(c) for c in fleet.clusters]
    for conn in conns:
        run(conn, "install-cni", version=TARGET, timeout_seconds=120)
        result, _ = run(conn, "check", version=TARGET)
        assert result["checks"]["success"] is True

    with fleet.clusters[0].api_client("admin") as api:
        k8s.RbacAuthorizationV1Api(api).delete_cluster_role_binding("linkerd-cni")
    assert failed_checks(conns[0]) == ["cni plugin ClusterRoleBinding exists"]

    node = fleet.clusters[1].node_names[1]
    fleet.clusters[1].hold_pod_not_ready(NS, "linkerd-cni", node)
    assert failed_checks(conns[1], wait_seconds=10) == ["cni plugin pod is running on all nodes"]

    with fleet.clusters[2].api_client("admin") as api:
        k8s.AppsV1Api(api).patch_namespaced_daemon_set("linkerd-cni", NS, {"spec": {"template": {"spec": {
            "containers": [{"name": "install-cni", "image": "cr.l5d.io/linkerd/cni-plugin:v0.0.1-wrong"}]}}}})
    assert failed_checks(conns[2], version=TARGET, wait_seconds=30) == [
        "cni plugin image version matches the target"]
    for conn in conns:
        conn.close()


def test_uninstall_leaves_no_labelled_resource(fleet, cleanup):
    cluster = fleet.clusters[2]
    with connect(cluster) as conn:
        run(conn, "install-cni", version=TARGET, values={"repairController": {"enabled": True}},
            timeout_seconds=120)
        assert labelled(conn)
    uninstall(cluster)
    with connect(cluster, "admin") as admin:
        assert labelled(admin) == {}
        assert list_objects(admin, "v1", "Pod", namespace=NS) == []


def test_adopts_a_cli_install(fleet, cleanup):
    """Objects as `linkerd install-cni | kubectl create -f -` leaves them are taken over without a reinstall."""
    from lifecycle.cni.render import render
    from lifecycle.cni.values import build_values
    from lifecycle.versions import get_release

    cluster, release = fleet.clusters[1], get_release(TARGET)
    manifests = render(build_values({}, {}, release), release).manifests
    with connect(cluster, "admin") as admin:
        dyn = admin.dynamic()
        for manifest in manifests:
            for meta in (manifest["metadata"], manifest.get("spec", {}).get("template", {}).get("metadata", {})):
                if "linkerd.io/created-by" in (meta.get("annotations") or {}):
                    meta["annotations"]["linkerd.io/created-by"] = f"linkerd/cli {TARGET}"
            dyn.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"]).create(
                body=manifest, namespace=manifest["metadata"].get("namespace"))
    with connect(cluster) as conn:
        # The "CLI install" was created a moment ago: wait for its pods, as `linkerd check` does.
        assert run(conn, "check", wait_seconds=60)[0]["observed"]["cni"]["installed_by"] == "linkerd-cli"
        result, reporter = run(conn, "install-cni", version=TARGET, timeout_seconds=120)
    actions = {d["object"]: d["action"] for d in result["diff"]}
    assert actions["DaemonSet linkerd-cni/linkerd-cni"] == "update"  # only the created-by annotation differs
    assert {a for o, a in actions.items() if not o.startswith("DaemonSet")} == {"unchanged"}
    assert any("installed by linkerd-cli" in m for m in reporter.messages("preflight"))
    assert result["observed"]["cni"]["installed_by"] == "cnimgr"


def test_control_plane_mismatch_is_caught_and_blocks_uninstall(fleet, cleanup):
    cluster = fleet.clusters[0]
    with cluster.api_client("admin") as api:
        core = k8s.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "linkerd"}})
        core.create_namespaced_config_map("linkerd", {"metadata": {"name": "linkerd-config"}, "data": {
            "values": "cniEnabled: true\nlinkerdVersion: edge-26.8.3\nproxy:\n  ports:\n    inbound: 5143\n"}})
    try:
        with connect(cluster) as conn:
            with pytest.raises(OperationFailed) as err:
                run(conn, "install-cni", version=TARGET, timeout_seconds=120)
            checks = err.value.data["checks"]
            assert checks["failed"] == ["cni plugin config matches the control plane's proxy settings"]
            assert err.value.data["result"]["content_hash"]  # the partial result travels with the failure
            with pytest.raises(OperationFailed, match="cniEnabled: true"):
                run(conn, "uninstall-cni")
            result, _ = run(conn, "uninstall-cni", force=True, timeout_seconds=120)
            assert result["observed"]["control_plane"] == {"installed": True, "version": "edge-26.8.3",
                                                           "cniEnabled": True, "namespace": "linkerd"}
    finally:
        with cluster.api_client("admin") as api:
            k8s.CoreV1Api(api).delete_namespace("linkerd")
