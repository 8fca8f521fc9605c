import logging

import pytest
import yaml
from django.db import connection

from audit.models import AuditEvent
from clusters.models import Cluster
from operations import runner
from operations.models import Run
from tests.factories import ClusterFactory, self_signed_pem
from tests.kubeconfigs import cert_user, kubeconfig

CANARY = "CANARY-7d1f0b6e9a2c4e88b3f5"
pytestmark = pytest.mark.django_db


def body(**extra):
    ca, _ = self_signed_pem()
    return {"name": "prod-eu-1", "server": "https://10.2.0.1:6443", "ca_bundle": ca, "credential_kind": "token",
            "token": CANARY, "labels": {"env": "prod", "region": "eu-west"}, **extra}  # fmt: skip


def test_create_returns_no_secret_and_audits(client_as):
    client = client_as("operator")
    response = client.post("/api/v1/clusters/", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["credentials_set"] is True and "token" not in data and "client_key" not in data
    event = AuditEvent.objects.get(action="cluster.create")
    assert event.actor_username == client.user.username and event.after["credentials_set"] is True
    assert event.request_id and event.source_ip == "127.0.0.1" and event.via == "api"


def test_secret_is_encrypted_at_rest(client_as):
    client_as("operator").post("/api/v1/clusters/", body(), format="json")
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM clusters_cluster WHERE name = %s", ["prod-eu-1"])
        (stored,) = cursor.fetchone()
    assert CANARY not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Cluster.objects.get(name="prod-eu-1").token == CANARY


def test_update_keeps_secret_when_blank_and_audits_before_after(client_as):
    client = client_as("operator")
    client.post("/api/v1/clusters/", body(), format="json")
    response = client.patch("/api/v1/clusters/prod-eu-1/", {"token": "", "description": "EU prod"}, format="json")
    assert response.status_code == 200
    assert Cluster.objects.get(name="prod-eu-1").token == CANARY
    event = AuditEvent.objects.get(action="cluster.update")
    assert event.before["description"] == "" and event.after["description"] == "EU prod"


def test_duplicate_name_is_a_clear_409(client_as):
    client = client_as("operator")
    client.post("/api/v1/clusters/", body(), format="json")
    response = client.post("/api/v1/clusters/", body(), format="json")
    assert response.status_code == 409
    assert "exists already" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [({"ca_bundle": "not a pem"}, "ca_bundle"), ({"token": ""}, "token"), ({"server": "not-a-url"}, "server"),
     ({"server": "http://10.0.0.1:8080"}, "server")],
)
def test_invalid_fields_are_named(client_as, patch, field):
    response = client_as("operator").post("/api/v1/clusters/", body(**patch), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_delete_is_audited_and_runs_are_kept(client_as):
    cluster = ClusterFactory()
    run = Run.objects.create(cluster=cluster, cluster_name=cluster.name, kind="check", state="succeeded")
    assert client_as("admin").delete(f"/api/v1/clusters/{cluster.name}/").status_code == 204
    run.refresh_from_db()
    assert run.cluster is None and run.cluster_name == cluster.name
    assert AuditEvent.objects.filter(action="cluster.delete", object_name=cluster.name).exists()


def test_label_selector_filter(client_as):
    ClusterFactory(name="a", labels={"env": "prod", "region": "eu"})
    ClusterFactory(name="b", labels={"env": "prod", "region": "us"})
    ClusterFactory(name="c", labels={"env": "dev"})
    client = client_as("viewer")

    def names(selector):
        return [c["name"] for c in client.get("/api/v1/clusters/", {"label": selector}).json()["results"]]

    assert names("env=prod") == ["a", "b"]
    assert names("env=prod,region!=eu") == ["b"]
    assert names("region") == ["a", "b"]
    assert names("region!=eu") == ["b", "c"]  # Kubernetes semantics: no `region` label is not `region=eu`
    # Keys are label names, never database lookups
    ClusterFactory(name="d", labels={"a__regex": "("})
    assert names("a__regex=(") == ["d"]
    assert names("env__contains=pro") == []


def test_import_kubeconfig_all_contexts_reports_refusals(client_as):
    text = kubeconfig({"prod-eu": {"token": CANARY}, "dev": cert_user(), "eks": {"exec": {"command": "aws"}}})
    response = client_as("operator").post(
        "/api/v1/clusters/import-kubeconfig/", {"kubeconfig": text, "all": True, "labels": {"env": "prod"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    data = response.json()
    assert sorted(c["name"] for c in data["imported"]) == ["dev", "prod-eu"]
    assert data["refused"][0]["context"] == "eks" and "kubectl create token" in data["refused"][0]["hint"]
    assert Cluster.objects.get(name="dev").credential_kind == "client-certificate"
    assert CANARY not in response.content.decode()


def test_import_needs_a_context_choice_when_several(client_as):
    text = kubeconfig({"one": {"token": CANARY}, "two": {"token": CANARY + "2"}})
    response = client_as("operator").post("/api/v1/clusters/import-kubeconfig/", {"kubeconfig": text}, format="json")
    assert response.status_code == 400 and "context" in response.json()["error"]["fields"]
    response = client_as("operator").post(
        "/api/v1/clusters/import-kubeconfig/", {"kubeconfig": text, "context": "two"}, format="json"
    )
    assert [c["name"] for c in response.json()["imported"]] == ["two"]


def test_import_as_uploaded_file(client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("config", kubeconfig({"lab": {"token": CANARY}}).encode())
    response = client_as("operator").post("/api/v1/clusters/import-kubeconfig/", {"file": upload},
                                          format="multipart")  # fmt: skip
    assert response.status_code == 201 and response.json()["imported"][0]["name"] == "lab"


def test_canary_secret_never_leaves(client_as, caplog):
    """Register a canary token, use it in a run, and look for it everywhere it could leak."""
    caplog.set_level(logging.DEBUG)
    client = client_as("admin")
    client.post("/api/v1/clusters/", body(server="https://127.0.0.1:1"), format="json")
    run_id = client.post("/api/v1/runs/", {"cluster": "prod-eu-1", "kind": "connectivity"}, format="json").json()["id"]
    runner.execute(run_id)  # in-process: the same code the worker runs
    pages = [
        "/api/v1/clusters/", "/api/v1/clusters/prod-eu-1/", f"/api/v1/runs/{run_id}/", f"/api/v1/runs/{run_id}/events/",
        "/api/v1/audit-events/", "/api/v1/audit-events/export/?type=csv", "/api/v1/audit-events/export/?type=json",
    ]  # fmt: skip
    for page in pages:
        response = client.get(page)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, page
        assert CANARY.encode() not in content, page
    assert all(CANARY not in record.getMessage() for record in caplog.records)
    for event in AuditEvent.objects.all():
        assert CANARY not in event.canonical().decode()
    run = Run.objects.get(pk=run_id)
    assert run.state == "failed"
    assert CANARY not in str(run.summary) + run.error + run.traceback
    assert all(CANARY not in e.message + str(e.data) for e in run.events.all())


def test_metadata_addresses_are_refused_at_registration_naming_the_field(client_as):
    client = client_as("operator")
    response = client.post("/api/v1/clusters/", body(server="https://169.254.169.254:443"), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "169.254.0.0/16" in error["message"] and "server" in error["fields"]
    assert not Cluster.objects.exists() and CANARY not in response.content.decode()


def test_import_refuses_only_the_context_pointing_at_a_metadata_address(client_as):
    good = kubeconfig({"prod": {"token": CANARY}})
    config = yaml.safe_load(good)
    config["clusters"].append({"name": "meta", "cluster": {"server": "https://[fe80::a9fe:a9fe]:443"}})
    config["contexts"].append({"name": "meta", "context": {"cluster": "meta", "user": config["users"][0]["name"]}})
    response = client_as("operator").post(
        "/api/v1/clusters/import-kubeconfig/", {"kubeconfig": yaml.safe_dump(config), "all": True}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert [c["name"] for c in data["imported"]] == ["prod"]
    assert data["refused"][0]["context"] == "meta" and "fe80::/10" in data["refused"][0]["reason"]
