import pytest

from audit.models import AuditEvent
from clusters.observation import observe_cluster
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
