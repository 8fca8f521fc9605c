"""The test bed itself: real API servers, fake nodes that run DaemonSets, least privilege, fault controls.

Run: .venv/bin/python -m pytest tests/integration/test_testbed.py
(tests/conftest.py registers testbed.pytest_plugin; without it add ``-p testbed.pytest_plugin``.)
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from lifecycle.permissions import access_checks
from testbed import Fleet, TestCluster
from testbed.binaries import OLD_APISERVER

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.fleet

CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def daemonset(name: str, image: str = "example.invalid/cni-plugin:v1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    # Like linkerd-cni: run on every node, the tainted control-plane node included.
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "install-cni", "image": image}],
                },
            },
        },
    }


def ds_pods_by_node(core: k8s.CoreV1Api, namespace: str, name: str) -> dict[str, k8s.V1Pod]:
    pods = core.list_namespaced_pod(namespace, label_selector=f"app={name}").items
    return {p.spec.node_name: p for p in pods if p.metadata.deletion_timestamp is None}


def pod_ready(pod: k8s.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def node_ready_status(core: k8s.CoreV1Api, node: str) -> str:
    conditions = core.read_node_status(node).status.conditions or []
    return next((c.status for c in conditions if c.type == "Ready"), "Missing")


def rolled_out(apps: k8s.AppsV1Api, namespace: str, name: str, nodes: int) -> bool:
    """kubectl rollout status's rule for DaemonSets (None counts as 0)."""
    ds = apps.read_namespaced_daemon_set(name, namespace)
    s = ds.status
    return (
        (s.observed_generation or 0) >= ds.metadata.generation
        and (s.desired_number_scheduled or 0) == nodes
        and (s.updated_number_scheduled or 0) == nodes
        and (s.number_available or 0) == nodes
        and (s.number_ready or 0) == nodes
    )


@pytest.fixture
def admin(fleet: Fleet) -> Iterator[Callable[[TestCluster], k8s.ApiClient]]:
    clients: list[k8s.ApiClient] = []

    def make(cluster: TestCluster) -> k8s.ApiClient:
        client = cluster.api_client()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# ---------------------------------------------------------------------------------------------- shape of the fleet


def test_fleet_has_distinct_healthy_clusters(fleet: Fleet) -> None:
    servers = [c.server for c in fleet.clusters]
    assert len(fleet.clusters) >= 1
    assert len(set(servers)) == len(servers)
    assert all(s.startswith("https://127.0.0.1:") for s in servers)
    for cluster in fleet.clusters:
        assert cluster.readyz()
        with cluster.api_client() as api:
            version = k8s.VersionApi(api).get_code()
        assert version.git_version.startswith("v1.")


def test_nodes_are_linux_amd64_with_one_tainted_control_plane(fleet: Fleet, admin: Any) -> None:
    cluster = fleet.clusters[0]
    nodes = k8s.CoreV1Api(admin(cluster)).list_node().items
    assert sorted(n.metadata.name for n in nodes) == sorted(cluster.node_names)
    control_planes = []
    for node in nodes:
        labels = node.metadata.labels
        assert labels["kubernetes.io/os"] == "linux"
        assert labels["kubernetes.io/arch"] == "amd64"
        assert labels["kubernetes.io/hostname"] == node.metadata.name
        assert node.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
        if "node-role.kubernetes.io/control-plane" in labels:
            control_planes.append(node)
            assert [(t.key, t.effect) for t in node.spec.taints] == [(CONTROL_PLANE_TAINT, "NoSchedule")]
        else:
            assert not node.spec.taints
    assert len(control_planes) == 1


def test_kubeconfigs_embed_everything_and_work(fleet: Fleet) -> None:
    cluster = fleet.clusters[0]
    for user in ("admin", "cnimgr"):
        as_dict = cluster.kubeconfig(user)
        on_disk = yaml.safe_load(cluster.kubeconfig_path(user).read_text())
        assert on_disk == as_dict
        assert as_dict["clusters"][0]["cluster"]["server"] == cluster.server
        user_entry = as_dict["users"][0]["user"]
        assert set(user_entry) == {"client-certificate-data", "client-key-data"}  # no paths, no exec, no token
        creds = cluster.credentials(user)
        assert base64.b64decode(user_entry["client-certificate-data"]).decode() == creds["client_cert_pem"]
        ca = base64.b64decode(as_dict["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
        assert ca == cluster.ca_pem
        with k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path(user))) as api:
            review = k8s.AuthenticationV1Api(api).create_self_subject_review({})
        info = review.status.user_info
        if user == "admin":
            assert "system:masters" in info.groups
        else:
            assert info.username == "cnimgr"
            assert info.groups == ["system:authenticated"]


# ---------------------------------------------------------------------------------------------- DaemonSets


def test_daemonset_runs_ready_on_every_node_of_every_cluster(fleet: Fleet, fleet_namespace: Any, admin: Any) -> None:
    for cluster in fleet.clusters:
        ns = fleet_namespace(cluster, "ds")
        api = admin(cluster)
        apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
        apps.create_namespaced_daemon_set(ns, daemonset("cni"))
        nodes = len(cluster.node_names)
        wait_for(lambda: rolled_out(apps, ns, "cni", nodes), what=f"{cluster.name}: DaemonSet ready")  # noqa: B023

        pods = ds_pods_by_node(core, ns, "cni")
        assert sorted(pods) == sorted(cluster.node_names)  # the tainted control-plane node included
        for pod in pods.values():
            assert pod.status.phase == "Running"
            assert pod_ready(pod)
            assert all(cs.ready for cs in pod.status.container_statuses)


# ---------------------------------------------------------------------------------------------- least privilege


def test_least_privilege_user_gets_exactly_the_permission_list(fleet: Fleet) -> None:
    cluster = fleet.clusters[0]
    with cluster.api_client("cnimgr") as api:
        authz = k8s.AuthorizationV1Api(api)
        denied = []
        for verb, group, resource in access_checks():
            review = authz.create_self_subject_access_review(
                {"spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource}}}
            )
            if not review.status.allowed:
                denied.append((verb, group, resource))
        assert denied == []

        core = k8s.CoreV1Api(api)
        # Allowed: on the list.
        assert len(core.list_node().items) == len(cluster.node_names)
        # Denied: PersistentVolumes are not on the list.
        pv = {
            "metadata": {"name": "not-allowed"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/x"}},
        }
        with pytest.raises(ApiException) as denied_pv:
            core.create_persistent_volume(pv)
        assert denied_pv.value.status == 403
        with pytest.raises(ApiException) as denied_list:
            k8s.StorageV1Api(api).list_storage_class()
        assert denied_list.value.status == 403


# ---------------------------------------------------------------------------------------------- fault controls


def test_apiserver_down_refuses_connections_and_comes_back_on_the_same_port(fleet: Fleet) -> None:
    cluster = fleet.clusters[-1]
    server_before = cluster.server
    try:
        cluster.stop_apiserver()
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", cluster.port))
        with cluster.api_client() as api:
            api.configuration.retries = 0
            with pytest.raises(urllib3.exceptions.MaxRetryError) as failed:
                k8s.CoreV1Api(api).list_node(_request_timeout=5)
        assert isinstance(failed.value.reason, urllib3.exceptions.NewConnectionError)
        assert "Connection refused" in str(failed.value.reason)

        cluster.start_apiserver()
        assert cluster.server == server_before
        with cluster.api_client() as api:
            assert len(k8s.CoreV1Api(api).list_node().items) == len(cluster.node_names)
    finally:
        cluster.reset_faults()


def test_node_not_ready_sticks_until_set_ready(fleet: Fleet, admin: Any) -> None:
    cluster = fleet.clusters[0]
    core = k8s.CoreV1Api(admin(cluster))
    node = cluster.node_names[-1]
    try:
        cluster.set_node_ready(node, False)
        assert node_ready_status(core, node) == "False"
        # Longer than the node-lifecycle controller's 5 s monitor period; kwok would re-initialise the node
        # within a second if it still managed its status.
        time.sleep(12)
        assert node_ready_status(core, node) == "False"
        taints = {t.key for t in core.read_node(node).spec.taints or []}
        assert "node.kubernetes.io/not-ready" in taints  # the real node-lifecycle controller reacted
        others = [n for n in cluster.node_names if n != node]
        assert all(node_ready_status(core, n) == "True" for n in others)

        cluster.set_node_ready(node, True)
        assert node_ready_status(core, node) == "True"
        wait_for(
            lambda: "node.kubernetes.io/not-ready" not in {t.key for t in core.read_node(node).spec.taints or []},
            what="not-ready taint removed",
        )
    finally:
        cluster.reset_faults()


def test_held_pod_stays_not_ready_through_a_rollout_until_released(
    fleet: Fleet, fleet_namespace: Any, admin: Any
) -> None:
    cluster = fleet.clusters[0]
    ns = fleet_namespace(cluster, "hold")
    api = admin(cluster)
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    nodes = len(cluster.node_names)
    apps.create_namespaced_daemon_set(ns, daemonset("cni"))
    wait_for(lambda: rolled_out(apps, ns, "cni", nodes), what="DaemonSet ready")
    held = cluster.node_names[1]
    try:
        cluster.hold_pod_not_ready(ns, "cni", held)
        pods = ds_pods_by_node(core, ns, "cni")
        assert not pod_ready(pods[held])
        assert pods[held].status.phase == "Running"
        assert all(pod_ready(p) for n, p in pods.items() if n != held)
        time.sleep(3)
        assert not pod_ready(ds_pods_by_node(core, ns, "cni")[held])

        # A rollout replaces the unavailable held pod first; its successor is held too, so with maxUnavailable=1
        # the rollout stalls there, exactly as with a real pod that never passes readiness.
        apps.patch_namespaced_daemon_set(
            "cni", ns, {"spec": {"template": {"spec": {"containers": [{"name": "install-cni", "image": "x:v2"}]}}}}
        )

        def held_pod_replaced() -> bool:
            pod = ds_pods_by_node(core, ns, "cni").get(held)
            return pod is not None and pod.spec.containers[0].image == "x:v2" and pod.status.phase == "Running"

        wait_for(held_pod_replaced, what="held pod replaced by the rollout")
        time.sleep(3)
        pods = ds_pods_by_node(core, ns, "cni")
        assert not pod_ready(pods[held])
        assert all(pod_ready(p) for n, p in pods.items() if n != held)
        status = apps.read_namespaced_daemon_set("cni", ns).status
        assert status.number_ready == nodes - 1
        assert status.updated_number_scheduled == 1
        assert not rolled_out(apps, ns, "cni", nodes)

        cluster.release_pod(ns, "cni", held)
        wait_for(lambda: rolled_out(apps, ns, "cni", nodes), what="rollout completes after release")
        assert pod_ready(ds_pods_by_node(core, ns, "cni")[held])
    finally:
        cluster.reset_faults()


# ---------------------------------------------------------------------------------------------- other entry points


def test_older_api_server_is_a_working_cluster() -> None:
    """OLD_APISERVER is real v1.30 code (a re-stamped 1.36 binary refuses to start), for "too old" checks."""
    with Fleet.start(clusters=1, nodes=2, kube_apiserver=OLD_APISERVER) as old:
        cluster = old.clusters[0]
        with cluster.api_client() as api:
            version = k8s.VersionApi(api).get_code()
            assert (version.major, version.minor) == ("1", "30")
            assert version.git_version == OLD_APISERVER.removeprefix("kube-apiserver-")
            k8s.CoreV1Api(api).create_namespace({"metadata": {"name": "old"}})
            apps = k8s.AppsV1Api(api)
            apps.create_namespaced_daemon_set("old", daemonset("cni"))
            wait_for(lambda: rolled_out(apps, "old", "cni", 2), what="DaemonSet ready on v1.30")
        with cluster.api_client("cnimgr") as api:
            assert len(k8s.CoreV1Api(api).list_node().items) == 2


def test_cli_up_status_down(tmp_path: Path) -> None:
    workdir = tmp_path / "fleet"
    cli = [sys.executable, "-m", "testbed"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args, "--workdir", str(workdir)], env=env, capture_output=True, text=True)

    up = run("up", "--clusters", "2", "--nodes", "2")
    assert up.returncode == 0, up.stderr
    try:
        state = Fleet.load(workdir)
        assert len(state.clusters) == 2
        for cluster in state.clusters:
            assert cluster.server in up.stdout
            assert str(cluster.kubeconfig_path("cnimgr")) in up.stdout
        procs = state._all_processes()
        assert all(p.running() for p in procs)  # detached: they outlived `up`

        status = run("status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.count("nodes-ready=2/2") == 2

        again = run("up", "--clusters", "1")
        assert again.returncode == 2 and "a fleet is running" in again.stderr
    finally:
        down = run("down")
    assert down.returncode == 0, down.stderr
    assert not any(p.running() for p in procs)  # (pid, start time) checked: a zombie or a reused pid is not ours
