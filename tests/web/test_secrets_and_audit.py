"""Secrets never reach a page; the audit review filters, exports with the same filters, and verifies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from clusters.services import update_cluster
from tests.factories import ClusterFactory, RunFactory, self_signed_pem
from tests.kubeconfigs import kubeconfig

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a9c-never-show-me"


def test_canary_secret_never_appears_in_any_page(admin):
    cluster = ClusterFactory(name="canary", token=CANARY)
    update_cluster(cluster, actor=admin.user, token=CANARY + "-rotated", labels={"env": "prod"})
    cert, key = self_signed_pem("canary")
    key_cluster = ClusterFactory(name="canary-cert", credential_kind="client-certificate", token="",
                                 client_certificate=cert, client_key=key)  # fmt: skip
    run = RunFactory(cluster=cluster, state="failed", error="nope")
    key_marker = key.splitlines()[1]
    urls = [
        reverse("frontend:fleet"), reverse("frontend:cluster", args=["canary"]),
        reverse("frontend:cluster", args=["canary-cert"]), reverse("frontend:cluster-edit", args=["canary"]),
        reverse("frontend:cluster-edit", args=["canary-cert"]), reverse("frontend:cluster-delete", args=["canary"]),
        reverse("frontend:run-start", args=["canary"]), reverse("frontend:runs"),
        reverse("frontend:run", args=[run.pk]),
        reverse("frontend:run-events", args=[run.pk]), reverse("frontend:audit"), reverse("frontend:cluster-new"),
    ]  # fmt: skip
    for url in urls:
        html = admin.get(url).content.decode()
        assert CANARY not in html, url
        assert key_marker not in html, url
    # a failed edit re-renders the form: still nothing
    html = admin.post(
        reverse("frontend:cluster-edit", args=["canary"]),
        {"server": "not a url", "credential_kind": "token", "token": CANARY + "-typed"},
    ).content.decode()
    assert CANARY not in html
    html = admin.post(
        reverse("frontend:cluster-edit", args=["canary-cert"]),
        {"server": "not a url", "credential_kind": "client-certificate", "client_key": key},
    ).content.decode()
    assert key_marker not in html
    html = admin.post(reverse("frontend:kubeconfig-read"),
                      {"kubeconfig": kubeconfig({"c": {"token": CANARY}})}).content.decode()  # fmt: skip
    assert CANARY not in html
    assert key_cluster.client_key == key  # sanity: the secret really was stored


def test_audit_filters_export_links_and_entries(viewer, operator):
    cluster = ClusterFactory(name="prod-1")
    update_cluster(cluster, actor=operator.user, labels={"env": "prod"})
    page = viewer.get(reverse("frontend:audit") + f"?actor={operator.user.username}&cluster=prod-1"
                      "&since=2020-01-01&until=2099-12-31&tz=Europe/Berlin").content.decode()  # fmt: skip
    assert "cluster.update" in page
    assert '<table class="diff">' in page and "env" in page
    csv_link = page.split('href="', 1)[1]
    for chunk in page.split('href="')[1:]:
        if "/api/v1/audit-events/export/" in chunk:
            csv_link = chunk.split('"', 1)[0].replace("&amp;", "&")
            break
    query = parse_qs(urlparse(csv_link).query)
    assert query["type"] == ["csv"]
    assert query["actor"] == [operator.user.username] and query["cluster"] == ["prod-1"]
    assert query["since"] == ["2020-01-01T00:00:00+01:00"]
    assert query["until"][0].startswith("2099-12-31T23:59:59")
    exported = viewer.get(csv_link)
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode()
    assert "cluster.update" in body and "prod-1" in body

    nothing = viewer.get(reverse("frontend:audit") + "?actor=nobody").content.decode()
    assert "No audit events match." in nothing


def test_verify_trail(viewer):
    ClusterFactory(name="x")
    from audit.services import record

    record("cluster.create", None, object_type="cluster", object_name="x")
    partial = viewer.get(reverse("frontend:audit-verify"), headers={"HX-Request": "true"}).content.decode()
    assert "The trail is intact" in partial and "<html" not in partial
    full = viewer.get(reverse("frontend:audit-verify")).content.decode()
    assert "The trail is intact" in full and "<html" in full
