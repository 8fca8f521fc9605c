import json

from lifecycle.checks import CheckContext, run_checks
from lifecycle.cni import checks
from lifecycle.cni.render import render
from lifecycle.cni.values import build_values
from lifecycle.observe import installed_by, linkerd_version_from_created_by
from lifecycle.reporting import MemoryReporter
from lifecycle.versions import get_release

HEAD = get_release("edge-26.8.3")


def check_named(name):
    return next(c for c in checks.CNIMGR_CNI_CHECKS if c.name == name)


def config_map(values=None):
    rendered = render(build_values(values or {}, {}, HEAD), HEAD)
    return next(m for m in rendered.manifests if m["kind"] == "ConfigMap")


def run_one(check, monkeypatch, *, cp_values, cm):
    monkeypatch.setattr(checks.controlplane, "read_values", lambda conn, ns: cp_values)
    monkeypatch.setattr(checks, "get_object", lambda *a, **k: cm)
    return run_checks([check], CheckContext(conn=None), MemoryReporter())


CONFIG = "cni plugin config matches the control plane's proxy settings"


def test_config_check_skipped_without_control_plane(monkeypatch):
    assert run_one(check_named(CONFIG), monkeypatch, cp_values=None, cm=config_map()) == []


def test_config_check_passes_with_chart_defaults(monkeypatch):
    results = run_one(check_named(CONFIG), monkeypatch, cp_values={"cniEnabled": True}, cm=config_map())
    assert results[0].status == "pass"


def test_config_check_names_each_mismatch(monkeypatch):
    cp = {"cniEnabled": False, "proxy": {"ports": {"inbound": 5143, "admin": 5191}, "uid": 2102, "gid": 3000}}
    [result] = run_one(check_named(CONFIG), monkeypatch, cp_values=cp, cm=config_map())
    assert result.status == "fail"
    assert "cniEnabled: false" in result.message
    assert "incoming-proxy-port is 4143, the proxy uses 5143" in result.message
    assert "proxy-gid is unset, the proxy uses 3000" in result.message
    assert "admin port 5191 is not in inbound-ports-to-ignore" in result.message


def test_config_check_flags_the_validator_listen_pitfall(monkeypatch):
    cp = {"cniEnabled": True, "proxy": {"ports": {"outbound": 5140}}}
    [result] = run_one(check_named(CONFIG), monkeypatch, cp_values=cp, cm=config_map({"outboundProxyPort": 5140}))
    assert "networkValidator.listenAddr" in result.message
    cp["networkValidator"] = {"listenAddr": "0.0.0.0:5140"}
    [result] = run_one(check_named(CONFIG), monkeypatch, cp_values=cp, cm=config_map({"outboundProxyPort": 5140}))
    assert result.status == "pass"


def pod(name, exit_code, where="lastState"):
    return {"metadata": {"name": name, "namespace": "app"},
            "status": {"initContainerStatuses": [{"name": "linkerd-network-validator",
                                                  where: {"terminated": {"exitCode": exit_code}}}]}}


def test_stuck_pods_are_named(monkeypatch):
    monkeypatch.setattr(checks, "list_objects", lambda *a, **k: [pod("ok", 0), pod("stuck", 95),
                                                                 pod("stuck-now", 95, "state")])
    [result] = run_checks([check_named("no meshed pods stuck because they started before the plugin")],
                          CheckContext(conn=None), MemoryReporter())
    assert result.status == "fail" and "app/stuck, app/stuck-now" in result.message
    assert "repairController" in result.hint


def test_image_check_skipped_without_target_and_fails_on_mismatch(monkeypatch):
    check = check_named("cni plugin image version matches the target")
    assert run_checks([check], CheckContext(conn=None), MemoryReporter()) == []
    ds = next(m for m in render(build_values({}, {}, HEAD), HEAD).manifests if m["kind"] == "DaemonSet")
    monkeypatch.setattr(checks, "get_object", lambda *a, **k: ds)
    ctx = CheckContext(conn=None, expected_image="cr.l5d.io/linkerd/cni-plugin:v1.6.8")
    [result] = run_checks([check], ctx, MemoryReporter())
    assert result.status == "fail" and "expected cr.l5d.io/linkerd/cni-plugin:v1.6.8" in result.message


def test_installed_by():
    def meta(**m):
        return {"metadata": m}

    assert installed_by(meta(managedFields=[{"manager": "cnimgr", "operation": "Apply"}])) == "cnimgr"
    assert installed_by(meta(labels={"app.kubernetes.io/managed-by": "Helm"})) == "helm"
    assert installed_by(meta(annotations={"linkerd.io/created-by": "linkerd/helm v1.6.8"})) == "helm"
    assert installed_by(meta(annotations={"linkerd.io/created-by": "linkerd/cli edge-26.8.3"})) == "linkerd-cli"
    assert installed_by(meta()) == "unknown"
    assert linkerd_version_from_created_by("linkerd/cli edge-26.8.3") == "edge-26.8.3"
    assert linkerd_version_from_created_by("linkerd/helm v1.6.8") is None


def test_network_config_round_trips_through_observe_parser(monkeypatch):
    from lifecycle import observe

    cm = config_map({"ignoreInboundPorts": "25", "proxyAdminPort": 5191, "iptablesMode": "legacy"})
    monkeypatch.setattr(observe, "get_object", lambda *a, **k: cm)
    values = observe.cni_config_values(None, "linkerd-cni")
    assert values["ignoreInboundPorts"] == "25" and values["proxyAdminPort"] == 5191
    assert values["iptablesMode"] == "legacy" and values["disableIPv6"] is True
    assert json.loads(cm["data"]["cni_network_config"])["linkerd"]["proxy-uid"] == values["proxyUID"]
