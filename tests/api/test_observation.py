import pytest

from audit.models import AuditEvent
from clusters.models import Cluster
from clusters.observation import observe_cluster
from clusters.services import observe_soon as _real_observe_soon
from operations.models import Run
from tests.factories import ClusterFactory

pytestmark = pytest.mark.django_db


def test_unreachable_cluster_is_marked_without_a_run_or_audit_event():
    cluster = ClusterFactory(server="https://127.0.0.1:1", observed={"cni": {"installed": True}})
    result = observe_cluster(cluster)
    cluster.refresh_from_db()
    assert "reach" in result["error"] and cluster.reachable is False
    assert "reach" in cluster.observed["last_error"] and cluster.observed["cni"] == {"installed": True}
    assert Run.objects.count() == 0 and not AuditEvent.objects.filter(action__startswith="run.").exists()


def test_observe_fleet_fans_out_to_enabled_clusters(monkeypatch):
    from clusters import tasks

    sent = []
    monkeypatch.setattr(tasks.observe_one, "delay", lambda pk: sent.append(pk))
    on, _off = ClusterFactory(), ClusterFactory(enabled=False)
    assert tasks.observe_fleet() == 1 and sent == [on.pk]


@pytest.mark.parametrize(("minutes", "scheduled"), [("15", True), ("0", False)])
def test_observations_can_be_switched_off(minutes, scheduled):
    import os
    import subprocess
    import sys

    env = {**os.environ, "CNIMGR_OBSERVE_MINUTES": minutes, "DJANGO_SETTINGS_MODULE": "cnimgr.settings.test"}
    out = subprocess.run([sys.executable, "-c", "from django.conf import settings; "
                          "print('observe-fleet' in settings.CELERY_BEAT_SCHEDULE)"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert out == str(scheduled)


@pytest.fixture
def observations_sent(monkeypatch):
    """The real `observe_soon`, with publishing replaced: returns the cluster ids sent."""
    from clusters import services, tasks

    monkeypatch.setattr(services, "observe_soon", _real_observe_soon)
    sent: list[int] = []
    monkeypatch.setattr(tasks.observe_one, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def _registration(name="obs-1"):
    from tests.api.test_clusters import body

    return body(name=name)


def test_registration_is_observed_once_committed(client_as, observations_sent, django_capture_on_commit_callbacks):
    client = client_as("operator")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/api/v1/clusters/", _registration(), format="json")
    assert response.status_code == 201 and observations_sent == []  # not before the row is committed
    for callback in callbacks:
        callback()
    assert observations_sent == [Cluster.objects.get(name="obs-1").pk]


def test_only_connection_changes_are_observed_again(client_as, observations_sent, django_capture_on_commit_callbacks):
    cluster = ClusterFactory(name="obs-2")
    client = client_as("operator")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch(f"/api/v1/clusters/{cluster.name}/", {"description": "x"}, format="json").status_code == 200
    assert observations_sent == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"/api/v1/clusters/{cluster.name}/", {"server": "https://10.9.9.9:6443"}, format="json")
    assert response.status_code == 200 and observations_sent == [cluster.pk]


def test_broker_outage_does_not_refuse_a_registration(client_as, monkeypatch, django_capture_on_commit_callbacks):
    from clusters import services, tasks

    monkeypatch.setattr(services, "observe_soon", _real_observe_soon)

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.observe_one, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("operator").post("/api/v1/clusters/", _registration("obs-3"), format="json")
    assert response.status_code == 201 and Cluster.objects.filter(name="obs-3").exists()


def test_a_slow_observation_never_overwrites_a_newer_one():
    from datetime import timedelta

    from django.utils import timezone

    from operations.services import _write_observed

    now = timezone.now()
    cluster = ClusterFactory(cni_version="v1.6.8", observed_at=now)
    stale = {"observed": {"kubernetes": {"version": "v1.36.3"}, "cni": {"installed": False}, "control_plane": {}}}
    _write_observed(cluster.pk, stale, taken_at=now - timedelta(seconds=5))
    cluster.refresh_from_db()
    assert cluster.cni_version == "v1.6.8" and cluster.observed_at == now
    _write_observed(cluster.pk, stale, taken_at=now + timedelta(seconds=1))
    cluster.refresh_from_db()
    assert cluster.cni_version == "" and cluster.observed_at > now
