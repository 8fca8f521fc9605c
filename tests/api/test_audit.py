import contextlib
import csv
import importlib
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AppendOnlyError, AuditEvent
from audit.services import record, verify_chain
from tests.factories import ClusterFactory

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def around_the_guard():
    """A cursor that writes around the database's append-only trigger, as a database superuser could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # row triggers do not fire
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            migration = importlib.import_module("audit.migrations.0002_append_only_triggers")
            cursor.execute("DROP TRIGGER audit_auditevent_append_only")
            try:
                yield cursor
            finally:
                cursor.execute(migration.CREATE["sqlite"][0])


def test_events_are_append_only():
    event = record("test.thing", object_type="thing", object_name="x")
    event.message = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(message="bulk")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_changes_whatever_the_code_path():
    event = record("test.thing", object_type="thing", object_name="x")
    statements = ["UPDATE audit_auditevent SET message = 'raw' WHERE id = %s"]
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for Django's test flush (no TRUNCATE there)
        statements.append("DELETE FROM audit_auditevent WHERE id = %s")
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).message == ""
    assert verify_chain() == (True, 1, "")


def test_chain_detects_alteration_and_removal():
    for index in range(3):
        record("test.thing", object_type="thing", object_name=f"x{index}")
    assert verify_chain() == (True, 3, "")
    with around_the_guard() as cursor:
        cursor.execute("UPDATE audit_auditevent SET message = 'tampered' WHERE object_name = 'x1'")
    intact, _, problem = verify_chain()
    assert not intact and "altered" in problem
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit")


def test_chain_detects_deleted_newest_event():
    for index in range(3):
        record("test.thing", object_type="thing", object_name=f"x{index}")
    with around_the_guard() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE object_name = 'x2'")
    intact, _, problem = verify_chain()
    assert not intact and "removed" in problem


def test_filters_by_actor_action_cluster_and_time(client_as):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=10)):
        ClusterFactory.create()
        record("cluster.update", object_type="cluster", object_name="old", cluster="prod-1")
    record("cluster.update", object_type="cluster", object_name="new", cluster="prod-1")
    record("run.create", object_type="run", object_name="r", cluster="dev-1")
    client = client_as("viewer")

    def names(**params):
        return [e["object_name"] for e in client.get("/api/v1/audit-events/", params).json()["results"]]

    assert names(cluster="prod-1") == ["new", "old"]
    assert names(action="run.create") == ["r"]
    assert names(cluster="prod-1", since=(now - timedelta(days=1)).isoformat()) == ["new"]
    assert names(until=(now - timedelta(days=5)).isoformat(), action="cluster.update") == ["old"]
    # Offsets Python accepts but PostgreSQL refuses (beyond ±15:59) are compared in UTC, not a server error.
    far_east = timezone.get_fixed_timezone(20 * 60 + 3)
    assert names(cluster="prod-1", since=(now - timedelta(days=1)).astimezone(far_east).isoformat()) == ["new"]
    assert client.get("/api/v1/runs/", {"until": now.astimezone(far_east).isoformat()}).status_code == 200


def test_export_csv_and_json(client_as):
    record("cluster.update", object_type="cluster", object_name="a", cluster="prod-1", after={"labels": {"env": "p"}})
    record("cluster.update", object_type="cluster", object_name="b", cluster="dev-1")
    client = client_as("viewer")
    response = client.get("/api/v1/audit-events/export/", {"type": "csv", "cluster": "prod-1"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["object_name"] for r in rows] == ["a"] and json.loads(rows[0]["after"]) == {"labels": {"env": "p"}}
    response = client.get("/api/v1/audit-events/export/", {"type": "json"})
    data = json.loads(b"".join(response.streaming_content))
    assert [e["object_name"] for e in data] == ["a", "b"] and all(len(e["hash"]) == 64 for e in data)


def test_audit_api_is_read_only(client_as):
    event = record("x", object_type="t")
    client = client_as("admin")
    assert client.post("/api/v1/audit-events/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/audit-events/{event.pk}/").status_code == 405


def test_filter_by_cluster_labels(client_as):
    ClusterFactory(name="p1", labels={"env": "prod"})
    ClusterFactory(name="d1", labels={"env": "dev"})
    record("cluster.update", object_type="cluster", object_name="p1", cluster="p1")
    record("cluster.update", object_type="cluster", object_name="d1", cluster="d1")
    events = client_as("viewer").get("/api/v1/audit-events/", {"label": "env=prod", "action": "cluster.update"})
    assert [e["cluster"] for e in events.json()["results"]] == ["p1"]


@pytest.mark.parametrize("refusal", [DatabaseError("audit table full"), RuntimeError("hash failed")])
def test_a_change_whose_audit_event_cannot_be_written_does_not_happen(user_with_role, monkeypatch, refusal):
    """Fail closed: no audit event, no change, and the caller is told."""
    from rest_framework.test import APIClient

    from clusters.models import Cluster
    from tests.api.test_clusters import body

    def refuse(self, *args, **kwargs):
        raise refusal

    monkeypatch.setattr(AuditEvent, "save", refuse)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user_with_role("operator"))
    response = client.post("/api/v1/clusters/", body(name="never-audited"), format="json")
    assert response.status_code >= 500
    assert not Cluster.objects.filter(name="never-audited").exists() and not AuditEvent.objects.exists()
