import pytest

from audit.models import AuditEvent
from operations import services
from operations.models import Run, RunEvent, RunState
from tests.factories import ClusterFactory, RunFactory

pytestmark = pytest.mark.django_db


def test_create_answers_202_with_location_and_enqueues_on_commit(client_as, django_capture_on_commit_callbacks,
                                                                 monkeypatch):  # fmt: skip
    sent = []
    monkeypatch.undo()  # use the real enqueue, with the task's publishing replaced
    monkeypatch.setattr("operations.tasks.execute_run.apply_async", lambda args, **kw: sent.append(args[0]))
    cluster = ClusterFactory()
    client = client_as("operator")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/api/v1/runs/", {"cluster": cluster.name, "kind": "connectivity"}, format="json")
    assert response.status_code == 202
    run = Run.objects.get()
    assert response["Location"].endswith(f"/api/v1/runs/{run.pk}/")
    assert run.state == RunState.QUEUED and run.actor_username == client.user.username
    assert AuditEvent.objects.filter(action="run.create", object_id=str(run.pk)).exists()
    assert len(callbacks) == 1 and sent == []  # enqueued only once the transaction commits
    callbacks[0]()
    assert sent == [run.pk]


def test_unknown_kind_lists_known_ones(client_as):
    cluster = ClusterFactory()
    response = client_as("operator").post("/api/v1/runs/", {"cluster": cluster.name, "kind": "explode"}, format="json")
    assert response.status_code == 400
    assert "connectivity" in response.json()["error"]["message"]


def test_disabled_cluster_refuses_runs(client_as):
    cluster = ClusterFactory(enabled=False)
    response = client_as("operator").post("/api/v1/runs/", {"cluster": cluster.name, "kind": "check"}, format="json")
    assert response.status_code == 409


def test_cancel_queued_run_is_immediate_and_audited(client_as):
    run = RunFactory()
    response = client_as("operator").post(f"/api/v1/runs/{run.pk}/cancel/")
    assert response.status_code == 202 and response.json()["state"] == "cancelled"
    assert AuditEvent.objects.filter(action="run.cancel", object_id=str(run.pk)).exists()
    assert client_as("operator").post(f"/api/v1/runs/{run.pk}/cancel/").status_code == 409


def test_cancel_running_run_sets_the_flag(client_as):
    run = RunFactory(state=RunState.RUNNING)
    response = client_as("operator").post(f"/api/v1/runs/{run.pk}/cancel/")
    assert response.json()["cancel_requested"] is True and response.json()["state"] == "running"


def test_retry_creates_a_linked_run(client_as):
    run = RunFactory(state=RunState.FAILED, params={})
    response = client_as("operator").post(f"/api/v1/runs/{run.pk}/retry/")
    assert response.status_code == 202 and response.json()["retry_of"] == run.pk


def test_events_are_paged_in_order_and_after_filters(client_as):
    run = RunFactory()
    for index in range(5):
        services.append_event(run.pk, f"line {index}", step="test")
    client = client_as("viewer")
    data = client.get(f"/api/v1/runs/{run.pk}/events/", {"page_size": 2}).json()
    assert [e["seq"] for e in data["results"]] == [1, 2] and data["next"]
    assert [e["seq"] for e in client.get(data["next"]).json()["results"]] == [3, 4]
    after = client.get(f"/api/v1/runs/{run.pk}/events/", {"after": 3}).json()["results"]
    assert [e["message"] for e in after] == ["line 3", "line 4"]


def test_run_events_are_append_only_sequence(db):
    run = RunFactory()
    services.append_event(run.pk, "a")
    services.append_event(run.pk, "b")
    assert list(RunEvent.objects.filter(run=run).values_list("seq", flat=True)) == [1, 2]


def test_filters_by_state_and_cluster(client_as):
    a, b = ClusterFactory(name="a"), ClusterFactory(name="b")
    RunFactory(cluster=a, state=RunState.FAILED)
    RunFactory(cluster=b, state=RunState.SUCCEEDED)
    client = client_as("viewer")
    assert [r["cluster"] for r in client.get("/api/v1/runs/", {"state": "failed"}).json()["results"]] == ["a"]
    assert [r["state"] for r in client.get("/api/v1/runs/", {"cluster": "b"}).json()["results"]] == ["succeeded"]


def test_finish_is_fenced_by_attempt(db):
    run = RunFactory()
    claimed = services.claim(run.pk, "w1")
    stale = Run.objects.get(pk=run.pk)
    stale.attempt -= 1  # a zombie worker from an earlier attempt
    assert services.finish(stale, RunState.SUCCEEDED) is False
    assert services.finish(claimed, RunState.FAILED, error="no") is True
    assert services.claim(run.pk, "w2") is None  # a duplicate message cannot run it again


def test_reporter_keeps_its_seq_and_recovers_when_another_writer_took_one(db):
    from operations.reporter import RunReporter

    run = RunFactory()
    reporter = RunReporter(run)
    reporter.event("one")
    services.append_event(run.pk, "from the reconciler")  # takes seq 2 behind the reporter's back
    reporter.event("two")
    reporter.event("three")
    assert list(run.events.values_list("seq", "message")) == [
        (1, "one"), (2, "from the reconciler"), (3, "two"), (4, "three")]


def test_bulk_start_by_label_selector_reports_skipped(client_as):
    ClusterFactory(name="p1", labels={"env": "prod"})
    ClusterFactory(name="p2", labels={"env": "prod"}, enabled=False)
    ClusterFactory(name="d1", labels={"env": "dev"})
    response = client_as("operator").post("/api/v1/runs/bulk/", {"label": "env=prod", "kind": "connectivity"},
                                          format="json")  # fmt: skip
    assert response.status_code == 202
    body = response.json()
    assert [r["cluster"] for r in body["runs"]] == ["p1"]
    assert body["skipped"] == [{"cluster": "p2", "reason": "Cluster 'p2' is disabled."}]
    assert AuditEvent.objects.filter(action="run.create").count() == 1


def test_bulk_start_validates_params_once_and_names_unknown_clusters(client_as):
    ClusterFactory(name="p1")
    client = client_as("operator")
    bad = client.post("/api/v1/runs/bulk/", {"clusters": ["p1"], "kind": "install-cni", "params": {}}, format="json")
    assert bad.status_code == 400 and "params.version" in bad.json()["error"]["fields"]
    unknown = client.post("/api/v1/runs/bulk/", {"clusters": ["p1", "nope"], "kind": "check"}, format="json")
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]["message"]
    assert Run.objects.count() == 0
    assert client_as("viewer").post("/api/v1/runs/bulk/", {"clusters": ["p1"], "kind": "check"},
                                    format="json").status_code == 403  # fmt: skip


def test_closing_audit_event_keeps_what_was_applied_and_whether_it_worked(db):
    run = services.claim(RunFactory(kind="upgrade-cni").pk, "w1")
    summary = {
        "version": "edge-26.8.3", "from_version": "edge-26.5.1", "namespace": "linkerd-cni", "changed": True,
        "content_hash": "ab" * 32, "manifests": "apiVersion: v1\nkind: Namespace\n" * 50,
        "applied": ["DaemonSet linkerd-cni/linkerd-cni"], "pruned": ["Role linkerd-cni/linkerd-cni"],
        "checks": {"success": True, "failed": [], "warnings": ["no clock skew detected"], "results": []},
        "observed": {"cni": {"installed": True, "version": "v1.7.0-alpha.1"}},
    }  # fmt: skip
    services.finish(run, RunState.SUCCEEDED, summary=summary)
    outcome = AuditEvent.objects.get(action="run.succeeded").after["outcome"]
    assert outcome == {
        "version": "edge-26.8.3", "from_version": "edge-26.5.1", "namespace": "linkerd-cni", "content_hash": "ab" * 32,
        "changed": True, "applied": ["DaemonSet linkerd-cni/linkerd-cni"], "pruned": ["Role linkerd-cni/linkerd-cni"],
        "checks_failed": [], "checks_warned": ["no clock skew detected"], "cni_version_after": "v1.7.0-alpha.1",
    }  # fmt: skip
    assert "manifests" not in outcome  # they stay on the run


def test_failed_run_audit_keeps_the_partial_result_and_the_failed_checks(db):
    run = services.claim(RunFactory(kind="install-cni").pk, "w1")
    failure = {"result": {"version": "edge-26.8.3", "content_hash": "cd" * 32, "applied": ["ConfigMap a/b"]},
               "checks": {"success": False, "failed": ["cni plugin pod is running on all nodes"], "warnings": []}}
    services.finish(run, RunState.FAILED, summary=failure, error="a check failed")
    outcome = AuditEvent.objects.get(action="run.failed").after["outcome"]
    assert outcome["content_hash"] == "cd" * 32 and outcome["applied"] == ["ConfigMap a/b"]
    assert outcome["checks_failed"] == ["cni plugin pod is running on all nodes"]
    assert services.outcome_digest(None) == {} and services.outcome_digest({"kubernetes_version": "v1"}) == {
        "kubernetes_version": "v1"}
