"""Every page renders for a viewer, and shows a viewer no button it cannot use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.services import record
from operations.services import append_event
from tests.factories import ClusterFactory, RunFactory

pytestmark = pytest.mark.django_db


def page_urls(cluster, run) -> list[str]:
    return [
        reverse("frontend:fleet"),
        reverse("frontend:fleet") + "?label=env=prod&q=eu",
        reverse("frontend:cluster", args=[cluster.name]),
        reverse("frontend:runs"),
        reverse("frontend:runs") + f"?cluster={cluster.name}&kind=check&state=running&state=queued",
        reverse("frontend:run", args=[run.pk]),
        reverse("frontend:run-events", args=[run.pk]) + "?after=0",
        reverse("frontend:audit"),
        reverse("frontend:audit") + "?actor=x&action_prefix=run.&since=2024-11-01&until=2024-11-30&tz=Europe/Berlin",
        reverse("frontend:audit-verify"),
    ]


def test_every_page_renders_for_a_viewer(viewer, cluster, run):
    append_event(run.pk, "reading the DaemonSet", step="observe", data={"ready": 3})
    record("cluster.update", cluster, cluster=cluster.name, before={"labels": {}}, after={"labels": cluster.labels})
    for url in page_urls(cluster, run):
        response = viewer.get(url)
        assert response.status_code == 200, url


def test_anonymous_users_are_sent_to_login(client, cluster):
    response = client.get(reverse("frontend:cluster", args=[cluster.name]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))
    login = client.get(response["Location"])
    assert login.status_code == 200
    assert b'name="next"' in login.content


def test_a_user_without_a_role_is_told_why(web_as):
    response = web_as(None).get(reverse("frontend:fleet"))
    assert response.status_code == 403
    assert b"no role" in response.content


def test_viewer_sees_no_buttons_it_cannot_use(viewer, cluster, run):
    fleet = viewer.get(reverse("frontend:fleet")).content.decode()
    assert "Check connectivity" not in fleet
    assert "Register clusters" not in fleet
    detail = viewer.get(reverse("frontend:cluster", args=[cluster.name])).content.decode()
    assert "Start a run" not in detail
    assert reverse("frontend:cluster-edit", args=[cluster.name]) not in detail
    assert reverse("frontend:cluster-delete", args=[cluster.name]) not in detail
    run_page = viewer.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert reverse("frontend:run-cancel", args=[run.pk]) not in run_page


def test_operator_sees_run_buttons_but_not_delete(operator, cluster, run):
    detail = operator.get(reverse("frontend:cluster", args=[cluster.name])).content.decode()
    assert "Start a run" in detail
    assert reverse("frontend:cluster-edit", args=[cluster.name]) in detail
    assert reverse("frontend:cluster-delete", args=[cluster.name]) not in detail
    run_page = operator.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert reverse("frontend:run-cancel", args=[run.pk]) in run_page


def test_admin_sees_delete(admin, cluster):
    detail = admin.get(reverse("frontend:cluster", args=[cluster.name])).content.decode()
    assert reverse("frontend:cluster-delete", args=[cluster.name]) in detail


def test_fleet_shows_state_filters_and_summary(viewer):
    ClusterFactory(name="a", labels={"env": "prod"}, cni_version="v1.6.0", observed_at="2025-01-01T00:00:00Z")
    ClusterFactory(
        name="b",
        labels={"env": "prod"},
        cni_version="v1.6.0",
        observed_at="2025-01-01T00:00:00Z",
        missing_permissions=["list nodes"],
    )
    ClusterFactory(name="c", labels={"env": "dev"}, cni_version="v1.5.1", observed_at="2025-01-01T00:00:00Z")
    ClusterFactory(name="d", labels={"env": "prod"})  # never checked
    RunFactory(cluster__name="e", kind="check", state="failed")

    page = viewer.get(reverse("frontend:fleet") + "?label=env=prod").content.decode()
    assert 'href="/clusters/a/"' in page and 'href="/clusters/b/"' in page and 'href="/clusters/d/"' in page
    assert 'href="/clusters/c/"' not in page
    assert "CNI plugin version" in page
    assert 'title="v1.6.0: 2 clusters"' in page
    assert 'title="not checked yet: 1 cluster"' in page
    assert 'title="list nodes"' in page

    by_version = viewer.get(reverse("frontend:fleet") + "?cni=v1.5.1").content.decode()
    assert 'href="/clusters/c/"' in by_version and 'href="/clusters/a/"' not in by_version

    last_run = viewer.get(reverse("frontend:fleet") + "?q=e").content.decode()
    assert "badge state-failed" in last_run


def test_bad_label_selector_is_reported_not_a_crash(viewer, cluster):
    response = viewer.get(reverse("frontend:fleet") + "?label=" + "%20bad%20key%20=1")
    assert response.status_code == 200
    assert "Ignored the label selector" in response.content.decode()


def test_pages_link_to_each_other_with_pasteable_urls(viewer, cluster, run):
    detail = viewer.get(reverse("frontend:cluster", args=[cluster.name])).content.decode()
    assert f"/runs/{run.pk}/" in detail
    assert f"/runs/?cluster={cluster.name}" in detail
    assert f"/audit/?cluster={cluster.name}" in detail
    assert "/?label=env%3Dprod" in detail  # label chips filter the fleet


def test_times_are_machine_readable_for_the_browser(viewer, run):
    page = viewer.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert '<time datetime="' in page
    assert "frontend/app.js" in page
    assert "htmx" in page and "unpkg" not in page and "cdn" not in page.lower()
