"""Role checks on every POST, and the operator's and admin's actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clusters.models import Cluster
from operations.models import Run
from tests.factories import ClusterFactory, RunFactory

pytestmark = pytest.mark.django_db


def post_urls(cluster, run) -> list[tuple[str, dict]]:
    return [
        (reverse("frontend:fleet-check"), {}),
        (reverse("frontend:run-start", args=[cluster.name]), {"kind": "connectivity"}),
        (reverse("frontend:run-cancel", args=[run.pk]), {}),
        (reverse("frontend:run-retry", args=[run.pk]), {}),
        (
            reverse("frontend:cluster-new"),
            {"name": "x", "server": "https://1.2.3.4", "credential_kind": "token", "token": "abcdefgh12345"},
        ),
        (reverse("frontend:kubeconfig-read"), {"kubeconfig": "kind: Config"}),
        (reverse("frontend:kubeconfig-import"), {"blob": "x", "context": "__all__"}),
        (reverse("frontend:cluster-edit", args=[cluster.name]), {"server": "https://9.9.9.9"}),
        (reverse("frontend:cluster-delete", args=[cluster.name]), {"confirm_name": cluster.name}),
    ]


def test_viewer_cannot_post_any_action(viewer, cluster, run):
    for url, data in post_urls(cluster, run):
        assert viewer.post(url, data).status_code == 403, url
    assert Run.objects.count() == 1
    assert Cluster.objects.filter(name=cluster.name, server=cluster.server).exists()


def test_viewer_cannot_open_operator_forms(viewer, cluster):
    for url in (reverse("frontend:cluster-new"), reverse("frontend:cluster-edit", args=[cluster.name]),
                reverse("frontend:run-start", args=[cluster.name]),
                reverse("frontend:cluster-delete", args=[cluster.name])):  # fmt: skip
        assert viewer.get(url).status_code == 403, url


def test_operator_cannot_delete(operator, cluster):
    assert operator.get(reverse("frontend:cluster-delete", args=[cluster.name])).status_code == 403
    assert (
        operator.post(
            reverse("frontend:cluster-delete", args=[cluster.name]), {"confirm_name": cluster.name}
        ).status_code
        == 403
    )
    assert Cluster.objects.filter(pk=cluster.pk).exists()


def test_operator_starts_a_run_and_it_is_queued(operator, cluster, django_capture_on_commit_callbacks, monkeypatch):
    enqueued = []
    monkeypatch.setattr("operations.services.enqueue", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(reverse("frontend:run-start", args=[cluster.name]), {"kind": "connectivity"})
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:run", args=[run.pk])
    assert (run.kind, run.state, run.cluster, run.actor) == ("connectivity", "queued", cluster, operator.user)
    assert enqueued == [run]


def test_run_form_sends_the_version_and_json_params(operator, cluster):
    url = reverse("frontend:run-start", args=[cluster.name])
    form = operator.get(url + "?kind=install-cni").content.decode()
    assert 'name="version"' in form and "stable-" in form
    response = operator.post(
        url, {"kind": "install-cni", "version": "stable-2.14.10", "params": '{"values": {"logLevel": "debug"}}'}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = Run.objects.get()
    assert run.params["version"] == "stable-2.14.10"
    assert run.params["values"] == {"logLevel": "debug"}
    assert run.mutating


def test_run_form_shows_invalid_params_inline(operator, cluster):
    url = reverse("frontend:run-start", args=[cluster.name])
    bad_json = operator.post(url, {"kind": "install-cni", "version": "stable-2.14.10", "params": "{nope"})
    assert bad_json.status_code == 200 and "Not valid JSON" in bad_json.content.decode()
    refused = operator.post(url, {"kind": "connectivity", "params": '{"surprise": 1}'})
    assert refused.status_code == 200
    assert "surprise" in refused.content.decode()
    assert not Run.objects.exists()


def test_check_connectivity_on_all_shown(operator):
    ClusterFactory(name="p1", labels={"env": "prod"})
    ClusterFactory(name="p2", labels={"env": "prod"})
    ClusterFactory(name="p3", labels={"env": "prod"}, enabled=False)
    ClusterFactory(name="d1", labels={"env": "dev"})
    response = operator.post(reverse("frontend:fleet-check"), {"label": "env=prod"})
    assert response.status_code == 302
    assert sorted(Run.objects.values_list("cluster_name", flat=True)) == ["p1", "p2"]
    assert set(Run.objects.values_list("kind", "state")) == {("connectivity", "queued")}
    messages = [m.message for m in response.wsgi_request._messages]
    assert "Started 2 connectivity runs." in messages and "Skipped 1 disabled cluster." in messages


def test_cancel_and_retry(operator, cluster):
    queued = RunFactory(cluster=cluster, kind="connectivity")
    operator.post(reverse("frontend:run-cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.state == "cancelled"
    response = operator.post(reverse("frontend:run-retry", args=[queued.pk]))
    retry = Run.objects.get(retry_of=queued)
    assert response["Location"] == reverse("frontend:run", args=[retry.pk])
    assert retry.state == "queued"
    again = operator.post(reverse("frontend:run-cancel", args=[queued.pk]), follow=True).content.decode()
    assert "already finished" in again


def test_register_by_fields_and_edit_keeps_secret(operator):
    response = operator.post(reverse("frontend:cluster-new"), {
        "name": "edge-1", "server": "https://10.1.1.1:6443", "credential_kind": "token",
        "token": "first-token-123456", "labels": "env=dev, team=payments", "enabled": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    cluster = Cluster.objects.get(name="edge-1")
    assert cluster.labels == {"env": "dev", "team": "payments"} and cluster.token == "first-token-123456"

    edit = reverse("frontend:cluster-edit", args=["edge-1"])
    form = operator.get(edit).content.decode()
    assert "first-token-123456" not in form and "set — leave empty to keep it" in form
    operator.post(edit, {"server": "https://10.1.1.2:6443", "credential_kind": "token", "token": "",
                         "labels": "env=prod", "enabled": "on"})  # fmt: skip
    cluster.refresh_from_db()
    assert (cluster.server, cluster.labels, cluster.token) == ("https://10.1.1.2:6443", {"env": "prod"},
                                                               "first-token-123456")  # fmt: skip


def test_register_shows_service_refusal(operator, cluster):
    response = operator.post(reverse("frontend:cluster-new"), {
        "name": cluster.name, "server": "https://10.1.1.1:6443", "credential_kind": "token", "token": "t" * 20,
    })  # fmt: skip
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
    bad_labels = operator.post(reverse("frontend:cluster-new"), {
        "name": "x1", "server": "https://10.1.1.1:6443", "credential_kind": "token", "token": "t" * 20,
        "labels": "novalue",
    })  # fmt: skip
    assert "is not key=value" in bad_labels.content.decode()


def test_admin_deletes_with_confirmation(admin, cluster):
    url = reverse("frontend:cluster-delete", args=[cluster.name])
    wrong = admin.post(url, {"confirm_name": "nope"})
    assert wrong.status_code == 200 and Cluster.objects.filter(pk=cluster.pk).exists()
    assert admin.post(url, {"confirm_name": cluster.name})["Location"] == reverse("frontend:fleet")
    assert not Cluster.objects.filter(pk=cluster.pk).exists()


def test_delete_refused_while_runs_are_active(admin, cluster):
    RunFactory(cluster=cluster, state="running")
    response = admin.post(reverse("frontend:cluster-delete", args=[cluster.name]), {"confirm_name": cluster.name},
                          follow=True)  # fmt: skip
    assert Cluster.objects.filter(pk=cluster.pk).exists()
    page = response.content.decode()
    assert "queued or running runs" in page and "What to do:" in page
