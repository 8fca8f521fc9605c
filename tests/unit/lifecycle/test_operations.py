import json

import pytest

from lifecycle.errors import InvalidParams
from lifecycle.operations import KINDS, observe
from lifecycle.ops import connectivity
from lifecycle.permissions import access_checks, cluster_role
from lifecycle.reporting import MemoryReporter, OperationFailed


def test_contract_kinds():
    assert set(KINDS) == {"connectivity", "check", "install-cni", "upgrade-cni", "uninstall-cni"}
    assert {k for k, spec in KINDS.items() if spec.mutating} == {"install-cni", "upgrade-cni", "uninstall-cni"}
    for name, spec in KINDS.items():
        assert spec.name == name and callable(spec.validate) and callable(spec.run)
    assert callable(observe)


def test_install_params_are_normalised():
    params = KINDS["install-cni"].validate({"version": " edge-26.8.3 ", "values": {"logLevel": "debug"}})
    assert params == {"version": "edge-26.8.3", "values": {"logLevel": "debug"}, "flags": {},
                      "namespace": "linkerd-cni", "control_plane_namespace": "linkerd", "timeout_seconds": 300,
                      "wait_seconds": 30}
    assert KINDS["install-cni"].validate(params) == params  # idempotent
    json.dumps(params)


@pytest.mark.parametrize(("kind", "params", "field"), [
    ("install-cni", {}, "version"),
    ("install-cni", {"version": "edge-1.1.1"}, "version"),
    ("install-cni", {"version": "edge-26.8.3", "values": {"proxyUID": "root"}}, "values.proxyUID"),
    ("install-cni", {"version": "edge-26.8.3", "timeout_seconds": -1}, "timeout_seconds"),
    ("install-cni", {"version": "edge-26.8.3", "namespace": "UPPER"}, "namespace"),
    ("install-cni", {"version": "edge-26.8.3", "bogus": 1}, "bogus"),
    ("upgrade-cni", {"version": "edge-25.4.4", "from_version": "edge-24.2.4"}, "version"),
    ("upgrade-cni", {"version": "edge-25.4.4", "from_version": "nope"}, "from_version"),
    ("uninstall-cni", {"force": "perhaps"}, "force"),
    ("check", {"mode": "post"}, "mode"),
    ("check", {"version": "x"}, "version"),
    ("connectivity", {"x": 1}, "x"),
])
def test_validation_names_the_field(kind, params, field):
    with pytest.raises(InvalidParams) as err:
        KINDS[kind].validate(params)
    assert err.value.field == field


def test_run_turns_invalid_params_into_a_failed_run():
    with pytest.raises(OperationFailed) as err:
        KINDS["install-cni"].run(None, {"version": "nope"}, MemoryReporter())
    assert err.value.data["field"] == "version"


class FakeConn:
    server = "https://127.0.0.1:6443"


def test_connectivity_names_each_missing_permission(monkeypatch):
    monkeypatch.setattr(connectivity, "server_version", lambda conn: {"gitVersion": "v1.36.3", "major": 1,
                                                                      "minor": 36})
    monkeypatch.setattr(connectivity, "can_i", lambda conn, verb, group, res: not (
        res == "clusterroles" and verb == "create"))
    reporter = MemoryReporter()
    with pytest.raises(OperationFailed) as err:
        KINDS["connectivity"].run(FakeConn(), {}, reporter)
    assert err.value.data["missing"] == ["cannot create clusterroles.rbac.authorization.k8s.io"]
    assert "docs/permissions" in err.value.hint
    assert "cannot create clusterroles.rbac.authorization.k8s.io" in reporter.messages("permissions")
    assert reporter.last_progress == (2, 2)


def test_permission_list_covers_what_the_engine_does():
    triples = set(access_checks())
    for needed in [("patch", "apps", "daemonsets"), ("delete", "rbac.authorization.k8s.io", "clusterroles"),
                   ("list", "", "nodes"), ("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
                   ("create", "events.k8s.io", "events"), ("delete", "", "pods"), ("create", "batch", "cronjobs")]:
        assert needed in triples
    assert cluster_role()["kind"] == "ClusterRole"
