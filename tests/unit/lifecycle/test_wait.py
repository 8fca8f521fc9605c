import pytest

from lifecycle.cni import wait
from lifecycle.cni.wait import rollout_status, wait_for_rollout
from lifecycle.reporting import MemoryReporter, OperationFailed


def ds(generation=2, observed=2, desired=4, updated=4, available=4, strategy="RollingUpdate"):
    status = {"observedGeneration": observed, "desiredNumberScheduled": desired,
              "updatedNumberScheduled": updated, "numberAvailable": available}
    return {"metadata": {"name": "linkerd-cni", "generation": generation},
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {k: v for k, v in status.items() if v}}  # the API omits zero counters


@pytest.mark.parametrize(("obj", "done", "text"), [
    (ds(generation=3), False, "Waiting for daemon set spec update to be observed..."),
    (ds(updated=1), False, 'Waiting for daemon set "linkerd-cni" rollout to finish: 1 out of 4 new pods have been '
                           "updated..."),
    (ds(available=3), False, 'Waiting for daemon set "linkerd-cni" rollout to finish: 3 of 4 updated pods are '
                             "available..."),
    (ds(), True, 'daemon set "linkerd-cni" successfully rolled out'),
    (ds(desired=0, updated=0, available=0), True, 'daemon set "linkerd-cni" successfully rolled out'),
    (ds(updated=0, available=0), False, "0 out of 4 new pods"),
])
def test_status_like_kubectl(obj, done, text):
    status = rollout_status(obj)
    assert status.done is done and text in status.message


def test_non_rolling_update_is_done_with_error():
    status = rollout_status(ds(strategy="OnDelete"))
    assert status.done and status.error


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_wait_reports_progress_until_done(monkeypatch):
    states = iter([ds(updated=1), ds(updated=1), ds(updated=3), ds()])
    monkeypatch.setattr(wait, "get_object", lambda *a, **k: next(states))
    reporter, clock = MemoryReporter(), FakeClock()
    status = wait_for_rollout(None, "ns", "linkerd-cni", reporter, clock=clock, sleep=clock.sleep)
    assert status.done
    messages = reporter.messages("wait")
    assert len(messages) == 3  # repeated states are reported once
    assert "1 out of 4" in messages[0] and "3 out of 4" in messages[1]


def test_wait_times_out_with_counts(monkeypatch):
    monkeypatch.setattr(wait, "get_object", lambda *a, **k: ds(available=2))
    clock = FakeClock()
    with pytest.raises(OperationFailed) as err:
        wait_for_rollout(None, "ns", "linkerd-cni", MemoryReporter(), timeout_seconds=10, clock=clock,
                         sleep=clock.sleep)
    assert "2 of 4 pods available" in str(err.value) and err.value.data["desired"] == 4


def test_wait_honours_cancellation(monkeypatch):
    from lifecycle.reporting import Cancelled

    monkeypatch.setattr(wait, "get_object", lambda *a, **k: ds(available=2))
    reporter = MemoryReporter(cancel_requested=True)
    with pytest.raises(Cancelled):
        wait_for_rollout(None, "ns", "linkerd-cni", reporter)
