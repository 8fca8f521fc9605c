"""The whole path on real clusters: API → Celery worker on Redis → engine → kube-apiserver, and back."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from audit.models import AuditEvent
from clusters import services as cluster_services
from clusters.models import Cluster
from lifecycle.versions import latest
from operations.models import Run, RunState
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.fleet, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def register(test_cluster, *, name: str, token: str | None = None) -> Cluster:
    """Register a test-bed cluster the way a user would: least-privilege client certificate, or a given token."""
    fields = {"server": test_cluster.server, "ca_bundle": test_cluster.ca_pem, "labels": {"env": "test"}}
    if token:
        fields.update(credential_kind="token", token=token)
    else:
        creds = test_cluster.credentials("cnimgr")
        fields.update(credential_kind="client-certificate", client_certificate=creds["client_cert_pem"],
                      client_key=creds["client_key_pem"])  # fmt: skip
    return cluster_services.create_cluster(actor=None, name=name, **fields)


def run_via_api(client, cluster: Cluster, kind: str, params: dict | None = None, timeout: float = 240) -> Run:
    response = client.post("/api/v1/runs/", {"cluster": cluster.name, "kind": kind, "params": params or {}},
                           format="json")  # fmt: skip
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    return wait_for(lambda: Run.objects.filter(pk=run_id, state__in=RunState.FINISHED).first(), timeout,
                    message=f"{kind} run to finish")  # fmt: skip


def token_for_service_account(test_cluster, name: str, namespace: str = "default") -> str:
    """A ServiceAccount with no RBAC at all, and a token for it from the TokenRequest API."""
    core = k8s.CoreV1Api(test_cluster.api_client("admin"))
    try:
        core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    except k8s.ApiException as exc:
        if exc.status != 409:
            raise
    request = core.create_namespaced_service_account_token(name, namespace, {"spec": {"expirationSeconds": 3600}})
    return request.status.token


def test_cni_install_through_the_worker_is_recorded_and_idempotent(fleet, client_as, celery_worker_process):
    celery_worker_process()
    cluster = register(fleet.clusters[0], name="fleet-install")
    client = client_as("operator")
    version = latest("edge").version

    connectivity = run_via_api(client, cluster, "connectivity")
    assert connectivity.state == RunState.SUCCEEDED, (connectivity.error, connectivity.summary)
    cluster.refresh_from_db()
    assert cluster.reachable and cluster.missing_permissions == [] and cluster.kubernetes_version == "v1.36.3"

    install = run_via_api(client, cluster, "install-cni", {"version": version})
    assert install.state == RunState.SUCCEEDED, (install.error, install.hint, install.traceback)
    assert install.progress_done == install.progress_total > 0
    steps = set(install.events.values_list("step", flat=True))
    assert {"render", "diff", "apply", "wait", "check"} <= steps
    cluster.refresh_from_db()
    assert cluster.cni_version and cluster.cni_installed_by == "cnimgr"
    assert cluster.observed["cni"]["rollout"]["done"] is True

    # The audit trail alone answers "what exactly was applied, and did it work"
    closing = AuditEvent.objects.get(action="run.succeeded", object_id=str(install.pk))
    outcome = closing.after["outcome"]
    assert outcome["content_hash"] == install.summary["content_hash"] and outcome["version"] == version
    assert "DaemonSet linkerd-cni/linkerd-cni" in outcome["applied"] and outcome["checks_failed"] == []
    assert outcome["cni_version_after"] == cluster.cni_version

    again = run_via_api(client, cluster, "install-cni", {"version": version})
    assert again.state == RunState.SUCCEEDED
    assert any("no changes" in m for m in again.events.values_list("message", flat=True))
    again_outcome = AuditEvent.objects.get(action="run.succeeded", object_id=str(again.pk)).after["outcome"]
    assert again_outcome["changed"] is False and again_outcome["content_hash"] == outcome["content_hash"]

    removal = run_via_api(client, cluster, "uninstall-cni")
    assert removal.state == RunState.SUCCEEDED, removal.error
    cluster.refresh_from_db()
    assert cluster.cni_version == ""
    actions = set(AuditEvent.objects.filter(cluster=cluster.name).values_list("action", flat=True))
    assert {"cluster.create", "run.create", "run.start", "run.succeeded"} <= actions


def test_missing_permissions_are_named_and_a_403_says_what_to_do(fleet, client_as, celery_worker_process):
    celery_worker_process()
    token = token_for_service_account(fleet.clusters[1], "cnimgr-no-rbac")
    cluster = register(fleet.clusters[1], name="fleet-no-rbac", token=token)
    client = client_as("operator")

    connectivity = run_via_api(client, cluster, "connectivity")
    assert connectivity.state == RunState.FAILED, connectivity.traceback
    assert "missing" in connectivity.summary, (connectivity.error, connectivity.summary)
    assert "cannot create clusterroles.rbac.authorization.k8s.io" in connectivity.summary["missing"]
    assert "docs/permissions.md" in connectivity.hint
    cluster.refresh_from_db()
    assert "cannot create daemonsets.apps" in cluster.missing_permissions

    install = run_via_api(client, cluster, "install-cni", {"version": latest("edge").version})
    assert install.state == RunState.FAILED, install.traceback
    assert "403" in install.error or "cannot" in install.error
    assert install.hint and install.traceback == ""  # the cluster said no: not a cnimgr bug
    assert token not in install.error + install.hint + str(install.summary)


def test_unreachable_api_server_fails_clearly_and_recovers(fleet, client_as, celery_worker_process):
    celery_worker_process()
    test_cluster = fleet.clusters[2]
    cluster = register(test_cluster, name="fleet-outage")
    client = client_as("operator")
    test_cluster.stop_apiserver()
    try:
        down = run_via_api(client, cluster, "connectivity", timeout=120)
    finally:
        test_cluster.start_apiserver()
    assert down.state == RunState.FAILED and "reach" in down.error and down.hint
    cluster.refresh_from_db()
    assert cluster.reachable is False
    up = run_via_api(client, cluster, "connectivity")
    assert up.state == RunState.SUCCEEDED
    cluster.refresh_from_db()
    assert cluster.reachable is True


def test_a_cluster_too_old_for_the_release_is_refused_before_anything_changes(client_as):
    """A real v1.30 API server: the release needs 1.31+, so the preflight check fails and nothing is applied."""
    from operations import runner
    from testbed import Fleet
    from testbed.binaries import OLD_APISERVER

    release = latest("edge")
    assert release.min_kubernetes >= (1, 31), "pick a release that needs a newer Kubernetes than the old server"
    with Fleet.start(clusters=1, nodes=2, kube_apiserver=OLD_APISERVER, name_prefix="old-") as old:
        cluster = register(old.clusters[0], name="too-old")
        response = client_as("operator").post("/api/v1/runs/", {"cluster": cluster.name, "kind": "install-cni",
                                              "params": {"version": release.version}}, format="json")  # fmt: skip
        runner.execute(response.json()["id"])  # the worker's code, in this process
        run = Run.objects.get(pk=response.json()["id"])
        assert run.state == RunState.FAILED, (run.error, run.traceback)
        messages = " ".join(run.events.values_list("message", flat=True))
        assert "is running the minimum Kubernetes API version" in messages
        assert "v1.30.14" in messages and "1.31.0" in messages
        assert not run.events.filter(step="apply").exists()
        apps = k8s.AppsV1Api(old.clusters[0].api_client("admin"))
        assert apps.list_daemon_set_for_all_namespaces(label_selector="linkerd.io/cni-resource=true").items == []


def test_periodic_observation_detects_what_a_cluster_runs(fleet):
    """No run needed: the periodic look reads the CNI version, who installed it and the rollout off the cluster."""
    from clusters.observation import observe_cluster
    from lifecycle.kube import ClusterConnection
    from lifecycle.operations import KINDS
    from lifecycle.reporting import MemoryReporter

    test_cluster = fleet.clusters[2]
    cluster = register(test_cluster, name="observed")
    release = latest("edge")
    creds = test_cluster.credentials("admin")
    with ClusterConnection(name="admin", server=test_cluster.server, ca_pem=test_cluster.ca_pem,
                           client_cert_pem=creds["client_cert_pem"], client_key_pem=creds["client_key_pem"]) as conn:
        spec = KINDS["install-cni"]
        spec.run(conn, spec.validate({"version": release.version}), MemoryReporter())
        try:
            observe_cluster(cluster)
            cluster.refresh_from_db()
            assert cluster.reachable is True and cluster.kubernetes_version == "v1.36.3"
            assert cluster.cni_version == release.cni_plugin and cluster.cni_installed_by == "cnimgr"
            assert cluster.observed["cni"]["rollout"]["done"] is True
            assert not Run.objects.filter(cluster=cluster).exists()
        finally:
            uninstall = KINDS["uninstall-cni"]
            uninstall.run(conn, uninstall.validate({}), MemoryReporter())
    observe_cluster(cluster)
    cluster.refresh_from_db()
    assert cluster.cni_version == ""


def test_concurrent_changing_runs_on_one_cluster_take_turns(fleet, client_as, worker_env, celery_worker_process):
    """Four install-cni runs at once, on two workers with four slots: the lease lets exactly one change the
    cluster at a time; the others wait and run after it, each with a new fencing token."""
    from operations.models import ClusterLease

    worker_env["CNIMGR_LEASE_RETRY_SECONDS"] = "2"
    celery_worker_process("w1")
    celery_worker_process("w2")
    cluster = register(fleet.clusters[2], name="fleet-contention")
    client = client_as("operator")
    version = latest("edge").version
    ids = []
    for _ in range(4):
        response = client.post("/api/v1/runs/", {"cluster": cluster.name, "kind": "install-cni",
                                                 "params": {"version": version}}, format="json")  # fmt: skip
        assert response.status_code == 202
        ids.append(response.json()["id"])
    finished = Run.objects.filter(pk__in=ids, state__in=RunState.FINISHED)
    wait_for(lambda: finished.count() == 4, timeout=240, message="all four runs to finish")
    runs = list(finished.order_by("started_at"))
    assert [r.state for r in runs] == [RunState.SUCCEEDED] * 4, [(r.pk, r.error) for r in runs]
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.finished_at, f"runs #{earlier.pk} and #{later.pk} overlapped"
    waited = Run.objects.filter(pk__in=ids, events__message__startswith="Waiting: run #").distinct().count()
    assert waited >= 1
    lease = ClusterLease.objects.get(cluster=cluster)
    assert lease.token == 4 and lease.run is None  # one fencing token per turn, released after the last
    assert sum(any("no changes" in m for m in r.events.values_list("message", flat=True)) for r in runs) == 3

    removal = run_via_api(client, cluster, "uninstall-cni")
    assert removal.state == RunState.SUCCEEDED, removal.error
