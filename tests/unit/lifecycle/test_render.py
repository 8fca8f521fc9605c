import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.cni.render import SELECTOR, cni_network_config, content_hash, render
from lifecycle.cni.values import build_values
from lifecycle.errors import InvalidParams
from lifecycle.versions import get_release

HEAD = get_release("edge-26.8.3")

FULLY_CUSTOMISED = {
    "inboundProxyPort": 5143, "outboundProxyPort": 5140, "proxyAdminPort": 5191, "proxyControlPort": 5190,
    "ignoreInboundPorts": "25,587,6000-6010", "ignoreOutboundPorts": [443, "8080-8090"],
    "portsToRedirect": "80,8080", "proxyUID": 2103, "proxyGID": 2103, "logLevel": "debug",
    "destCNINetDir": "/var/lib/rancher/k3s/agent/etc/cni/net.d", "destCNIBinDir": "/var/lib/rancher/k3s/data/cni",
    "useWaitFlag": True, "iptablesMode": "plain", "disableIPv6": False, "priorityClassName": "system-node-critical",
    "revisionHistoryLimit": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "20%"}},
    "privileged": True, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "mesh",
                                         "effect": "NoSchedule"}],
    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "mesh", "operator": "In", "values": ["yes"]}]}]}},
    "image": {"name": "registry.example.com/linkerd/cni-plugin", "version": "v1.6.8", "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "regcred"}, "other-cred"],
    "extraInitContainers": [{"name": "wait-for-calico", "image": "busybox:1.36",
                             "command": ["sh", "-c", "until ls /host/etc/cni/net.d/10-calico.conflist; do sleep 1;"
                                         " done"]}],
    "podLabels": {"team": "mesh"}, "commonLabels": {"example.com/owner": "platform"},
    "resources": {"cpu": {"request": "10m", "limit": "100m"}, "memory": {"request": "16Mi", "limit": "64Mi"},
                  "ephemeral-storage": {"limit": "1Gi"}},
    "repairController": {"enabled": True, "logLevel": "linkerd=debug,warn", "logFormat": "json",
                         "resources": {"cpu": {"request": "5m"}}},
}


def rendered(values=None, flags=None, release=HEAD, namespace="linkerd-cni"):
    return render(build_values(values or {}, flags or {}, release, namespace), release)


def by_kind(out, kind):
    return next(m for m in out.manifests if m["kind"] == kind)


def test_defaults_golden(golden):
    golden("default.yaml", rendered().yaml_text())


def test_fully_customised_golden(golden):
    golden("fully-customised.yaml", rendered(FULLY_CUSTOMISED, namespace="mesh-cni").yaml_text())


def test_legacy_release_golden(golden):
    golden("stable-2.14.10.yaml", rendered(release=get_release("stable-2.14.10")).yaml_text())


def test_order_and_names_match_upstream():
    out = rendered()
    assert [(m["kind"], m["metadata"]["name"]) for m in out.manifests] == [
        ("Namespace", "linkerd-cni"), ("ServiceAccount", "linkerd-cni"), ("ClusterRole", "linkerd-cni"),
        ("ClusterRoleBinding", "linkerd-cni"), ("ConfigMap", "linkerd-cni-config"), ("DaemonSet", "linkerd-cni")]
    for manifest in out.manifests:
        assert manifest["metadata"]["labels"]["linkerd.io/cni-resource"] == "true"
    assert SELECTOR == "linkerd.io/cni-resource=true"


def test_yaml_text_round_trips():
    out = rendered(FULLY_CUSTOMISED)
    assert list(yaml.safe_load_all(out.yaml_text())) == out.manifests


def test_pull_policy_never_empty_even_when_given_empty():
    ds = by_kind(rendered({"image": {"pullPolicy": ""}}), "DaemonSet")
    assert ds["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_admin_and_control_port_flags_are_applied_not_ignored():
    config = json.loads(by_kind(rendered(flags={"admin-port": 5191, "control-port": 5190}), "ConfigMap")
                        ["data"]["cni_network_config"])
    assert config["linkerd"]["inbound-ports-to-ignore"][:2] == ["5191", "5190"]


def test_network_config_is_valid_json_with_expected_keys():
    config = json.loads(cni_network_config(build_values(FULLY_CUSTOMISED, {}, HEAD)))
    linkerd = config["linkerd"]
    assert linkerd["inbound-ports-to-ignore"] == ["5191", "5190", "25", "587", "6000-6010"]
    assert linkerd["outbound-ports-to-ignore"] == ["443", "8080-8090"]
    assert linkerd["ports-to-redirect"] == [80, 8080]
    assert linkerd["proxy-gid"] == 2103 and linkerd["ipv6"] is True and linkerd["iptables-mode"] == "plain"
    assert config["kubernetes"]["kubeconfig"] == "__KUBECONFIG_FILEPATH__"


def test_defaults_omit_optional_keys():
    linkerd = json.loads(by_kind(rendered(), "ConfigMap")["data"]["cni_network_config"])["linkerd"]
    assert "proxy-gid" not in linkerd and "outbound-ports-to-ignore" not in linkerd
    assert linkerd["iptables-mode"] == "nft" and linkerd["ipv6"] is False


def test_old_releases_use_their_chart_layout():
    config = json.loads(by_kind(rendered(release=get_release("stable-2.14.0")), "ConfigMap")
                        ["data"]["cni_network_config"])
    assert "policy" in config and "iptables-mode" not in config["linkerd"]
    config = json.loads(by_kind(rendered(release=get_release("edge-24.11.8")), "ConfigMap")
                        ["data"]["cni_network_config"])
    assert "policy" in config and config["linkerd"]["iptables-mode"] == "legacy"


def test_repair_controller_adds_container_and_rbac():
    out = rendered({"repairController": {"enabled": True}})
    containers = by_kind(out, "DaemonSet")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["install-cni", "repair-controller"]
    rules = by_kind(out, "ClusterRole")["rules"]
    assert {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]} in rules
    assert len(by_kind(rendered(), "ClusterRole")["rules"]) == 1


def test_single_mount_when_dirs_are_equal():
    ds = by_kind(rendered({"destCNIBinDir": "/etc/cni/net.d"}), "DaemonSet")
    spec = ds["spec"]["template"]["spec"]
    assert [v["name"] for v in spec["volumes"]] == ["cni-net-dir", "linkerd-tmp-dir"]
    assert [m["name"] for m in spec["containers"][0]["volumeMounts"]] == ["cni-net-dir", "linkerd-tmp-dir"]


def test_no_host_network():
    assert "hostNetwork" not in by_kind(rendered(), "DaemonSet")["spec"]["template"]["spec"]


def test_hash_changes_with_content_and_only_with_content():
    assert rendered().content_hash == rendered().content_hash
    assert rendered().content_hash != rendered({"logLevel": "debug"}).content_hash
    assert content_hash(rendered().manifests) == rendered().content_hash


ports = st.integers(min_value=1, max_value=65535)


@settings(max_examples=60, deadline=None)
@given(inbound=ports, outbound=ports, admin=ports, control=ports, uid=st.integers(0, 2**31 - 1),
       skip=st.lists(ports, max_size=5))
def test_render_is_deterministic_and_hash_stable(inbound, outbound, admin, control, uid, skip):
    values = {"inboundProxyPort": inbound, "outboundProxyPort": outbound, "proxyAdminPort": admin,
              "proxyControlPort": control, "proxyUID": uid, "ignoreInboundPorts": ",".join(map(str, skip))}
    first, second = rendered(values), rendered(dict(values))
    assert first.yaml_text() == second.yaml_text()
    assert first.content_hash == second.content_hash
    linkerd = json.loads(by_kind(first, "ConfigMap")["data"]["cni_network_config"])["linkerd"]
    assert linkerd["incoming-proxy-port"] == inbound
    assert linkerd["inbound-ports-to-ignore"] == [str(admin), str(control), *map(str, skip)]


@settings(max_examples=60, deadline=None)
@given(port=st.one_of(st.integers(max_value=0), st.integers(min_value=65536)),
       field=st.sampled_from(["inboundProxyPort", "outboundProxyPort", "proxyAdminPort", "proxyControlPort"]))
def test_invalid_ports_rejected_naming_the_field(port, field):
    with pytest.raises(InvalidParams) as err:
        rendered({field: port})
    assert err.value.field == f"values.{field}"


@settings(max_examples=40, deadline=None)
@given(bad=st.one_of(st.integers(min_value=65536, max_value=10**6).map(str), st.just("abc"), st.just("10-5"),
                     st.just("0")))
def test_invalid_skip_ports_rejected(bad):
    with pytest.raises(InvalidParams) as err:
        rendered({"ignoreOutboundPorts": f"443,{bad}"})
    assert err.value.field == "values.ignoreOutboundPorts"
