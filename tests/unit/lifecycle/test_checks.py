from lifecycle.checks import Check, CheckContext, Outcome, run_checks, summary
from lifecycle.cni.checks import CNIMGR_CNI_CHECKS, LINKERD_CNI_PLUGIN_CHECKS
from lifecycle.cni.prechecks import PRE_INSTALL_CHECKS
from lifecycle.errors import ClusterError
from lifecycle.reporting import MemoryReporter


def test_names_are_exactly_linkerds():
    assert [c.name for c in LINKERD_CNI_PLUGIN_CHECKS] == [
        "cni plugin ConfigMap exists", "cni plugin ClusterRole exists", "cni plugin ClusterRoleBinding exists",
        "cni plugin ServiceAccount exists", "cni plugin DaemonSet exists", "cni plugin pod is running on all nodes"]
    assert all(c.fatal and c.category == "linkerd-cni-plugin" for c in LINKERD_CNI_PLUGIN_CHECKS)
    names = [c.name for c in PRE_INSTALL_CHECKS]
    for expected in ("can initialize the client", "can query the Kubernetes API",
                     "is running the minimum Kubernetes API version", "Gateway API CRDs are installed",
                     "control plane namespace does not already exist", "can create non-namespaced resources",
                     "can create ServiceAccounts", "can create CronJobs", "can read Secrets",
                     "can read extension-apiserver-authentication configmap", "no clock skew detected"):
        assert expected in names
    assert len({c.name for c in CNIMGR_CNI_CHECKS}) == 4


def fixed(ok, message=""):
    return lambda ctx: Outcome(ok, message)


class Clock:
    now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_fatal_failure_stops_the_run_and_warnings_do_not_fail():
    reporter = MemoryReporter()
    checks = [Check("a", "warns", fixed(False, "meh"), warning_only=True), Check("a", "skipped", lambda ctx: None),
              Check("a", "breaks", fixed(False, "boom"), fatal=True, anchor="x"), Check("a", "never", fixed(True))]
    results = run_checks(checks, CheckContext(conn=None), reporter)
    assert [(r.name, r.status) for r in results] == [("warns", "warn"), ("breaks", "fail")]
    assert results[1].hint == "https://linkerd.io/2/checks/#x"
    assert any("not run: never" in m for m in reporter.messages("check"))
    assert summary(results)["failed"] == ["breaks"] and summary(results)["warnings"] == ["warns"]


def test_retryable_checks_retry_until_the_wait_budget():
    calls = []

    def flaky(ctx):
        calls.append(1)
        return Outcome(len(calls) >= 3, "not yet")

    clock = Clock()
    results = run_checks([Check("a", "flaky", flaky, retry=True)], CheckContext(conn=None), MemoryReporter(),
                         wait_seconds=60, clock=clock, sleep=clock.sleep)
    assert results[0].status == "pass" and len(calls) == 3
    calls.clear()
    clock = Clock()
    results = run_checks([Check("a", "flaky", lambda ctx: (calls.append(1), Outcome(False))[1], retry=True)],
                         CheckContext(conn=None), MemoryReporter(), wait_seconds=12, clock=clock, sleep=clock.sleep)
    assert results[0].status == "fail" and len(calls) == 3  # t=0, 5, 10


def test_cluster_errors_become_the_checks_failure():
    def forbidden(ctx):
        raise ClusterError("forbidden", "cannot get configmaps in namespace linkerd-cni", hint="grant it")

    results = run_checks([Check("a", "reads", forbidden)], CheckContext(conn=None), MemoryReporter())
    assert results[0].status == "fail" and "cannot get configmaps" in results[0].message
    assert results[0].hint == "grant it"
