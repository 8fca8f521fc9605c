"""One mutating run per cluster: leases with fencing tokens, expiry and takeover."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from operations import leases, runner, services
from operations.models import ClusterLease, Run, RunState
from tests.factories import ClusterFactory, RunFactory

pytestmark = pytest.mark.django_db


def test_second_holder_is_refused_until_release():
    cluster = ClusterFactory()
    first, second = RunFactory(cluster=cluster), RunFactory(cluster=cluster)
    token, _ = leases.acquire(cluster.pk, first.pk)
    assert token == 1
    assert leases.acquire(cluster.pk, second.pk) == (None, first.pk)
    leases.release(cluster.pk, first.pk, token)
    assert leases.acquire(cluster.pk, second.pk) == (2, None)


def test_expired_lease_is_taken_over_and_the_old_holder_is_fenced(settings):
    cluster = ClusterFactory()
    first, second = RunFactory(cluster=cluster), RunFactory(cluster=cluster)
    old_token, _ = leases.acquire(cluster.pk, first.pk)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.CNIMGR_LEASE_SECONDS + 1)):
        new_token, _ = leases.acquire(cluster.pk, second.pk)
    assert new_token == old_token + 1
    assert leases.renew(cluster.pk, first.pk, old_token) is False  # the zombie learns it lost the lease
    leases.release(cluster.pk, first.pk, old_token)  # and cannot release the new holder's lease
    assert ClusterLease.objects.get(cluster=cluster).run_id == second.pk


def test_runner_waits_for_a_busy_cluster_before_claiming():
    cluster = ClusterFactory()
    holder = RunFactory(cluster=cluster, kind="install-cni", mutating=True, state=RunState.RUNNING)
    leases.acquire(cluster.pk, holder.pk)
    waiting = RunFactory(cluster=cluster, kind="install-cni", mutating=True)
    with pytest.raises(runner.LeaseBusy) as busy:
        runner.execute(waiting.pk)
    assert busy.value.holder_run_id == holder.pk
    assert Run.objects.get(pk=waiting.pk).state == RunState.QUEUED  # untouched, retried later


def test_read_only_runs_need_no_lease():
    cluster = ClusterFactory(server="https://127.0.0.1:1")
    holder = RunFactory(cluster=cluster, kind="install-cni", mutating=True, state=RunState.RUNNING)
    leases.acquire(cluster.pk, holder.pk)
    check = RunFactory(cluster=cluster, kind="connectivity")
    runner.execute(check.pk)
    assert Run.objects.get(pk=check.pk).state == RunState.FAILED  # it ran (the server is unreachable)


def test_reconciler_closes_silent_runs_and_resends_stale_queued(settings, monkeypatch):
    sent = []
    monkeypatch.setattr("operations.services.enqueue", lambda run: sent.append(run.pk) or True)
    cluster = ClusterFactory()
    silent = RunFactory(cluster=cluster)
    services.claim(silent.pk, "w1")
    leases.acquire(cluster.pk, silent.pk)
    fresh = RunFactory(cluster=cluster)
    assert services.reconcile() == {"lost": 0, "resent": 0}
    wait = max(settings.CNIMGR_LEASE_SECONDS, settings.CNIMGR_QUEUED_RESEND_SECONDS) + 1
    later = timezone.now() + timedelta(seconds=wait)
    with time_machine.travel(later):
        assert services.reconcile() == {"lost": 1, "resent": 1}
    silent.refresh_from_db()
    assert silent.state == RunState.ERRORED and "stopped responding" in silent.error
    assert ClusterLease.objects.get(cluster=cluster).run_id is None
    assert sent == [fresh.pk]


def test_unusable_connection_settings_fail_the_run_with_a_hint():
    cluster = ClusterFactory(server="http://10.0.0.1:8080")  # registered before https was enforced
    run = RunFactory(cluster=cluster)
    runner.execute(run.pk)
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "https://" in run.hint
