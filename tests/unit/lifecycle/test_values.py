import pytest

from lifecycle.cni.values import build_values
from lifecycle.errors import InvalidParams
from lifecycle.versions import get_release

HEAD = get_release("edge-26.8.3")


@pytest.mark.parametrize(("values", "flags", "field"), [
    ({"inboundProxyPort": 0}, {}, "values.inboundProxyPort"),
    ({"outboundProxyPort": "http"}, {}, "values.outboundProxyPort"),
    ({"proxyAdminPort": True}, {}, "values.proxyAdminPort"),
    ({"ignoreInboundPorts": "25,70000"}, {}, "values.ignoreInboundPorts"),
    ({"ignoreOutboundPorts": "100-50"}, {}, "values.ignoreOutboundPorts"),
    ({"portsToRedirect": "80-90"}, {}, "values.portsToRedirect"),
    ({"proxyUID": -1}, {}, "values.proxyUID"),
    ({"proxyGID": -2}, {}, "values.proxyGID"),
    ({"logLevel": "verbose"}, {}, "values.logLevel"),
    ({"destCNINetDir": "relative/dir"}, {}, "values.destCNINetDir"),
    ({"destCNIBinDir": '/opt/"cni"'}, {}, "values.destCNIBinDir"),
    ({"iptablesMode": "ebpf"}, {}, "values.iptablesMode"),
    ({"disableIPv6": "maybe"}, {}, "values.disableIPv6"),
    ({"updateStrategy": {"type": "OnDelete"}}, {}, "values.updateStrategy.type"),
    ({"updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}}, {},
     "values.updateStrategy.rollingUpdate.maxUnavailable"),
    ({"enablePSP": True}, {}, "values.enablePSP"),
    ({"cliVersion": "linkerd/cli x"}, {}, "values.cliVersion"),
    ({"cniPluginImage": "x"}, {}, "values.cniPluginImage"),
    ({"inboundPort": 4143}, {}, "values.inboundPort"),
    ({"image": {"tag": "v1"}}, {}, "values.image.tag"),
    ({"image": {"name": "cr.l5d.io/linkerd/cni-plugin:v1.0.0"}}, {}, "values.image.name"),
    ({"image": {"version": "bad tag"}}, {}, "values.image.version"),
    ({"image": {"pullPolicy": "Sometimes"}}, {}, "values.image.pullPolicy"),
    ({"imagePullSecrets": [{"name": "Bad_Name"}]}, {}, "values.imagePullSecrets[0]"),
    ({"extraInitContainers": [{"image": "busybox"}]}, {}, "values.extraInitContainers[0].name"),
    ({"commonLabels": {"linkerd.io/cni-resource": "false"}}, {}, "values.commonLabels.linkerd.io/cni-resource"),
    ({"podLabels": {"bad key!": "x"}}, {}, "values.podLabels.bad key!"),
    ({"resources": {"cpu": {"request": "lots"}}}, {}, "values.resources.cpu.request"),
    ({"resources": {"memory": {"request": "64Mi", "limit": "32Mi"}}}, {}, "values.resources.memory.limit"),
    ({"resources": {"gpu": {"limit": "1"}}}, {}, "values.resources.gpu"),
    ({"repairController": {"enabled": True, "enableSecurityContext": False}}, {},
     "values.repairController.enableSecurityContext"),
    ({"repairController": {"logFormat": "xml"}}, {}, "values.repairController.logFormat"),
    ({"priorityClassName": "Not Valid"}, {}, "values.priorityClassName"),
    ({}, {"linkerd-version": "edge-26.8.3"}, "flags.linkerd-version"),
    ({}, {"cni-namespace": "x"}, "flags.cni-namespace"),
    ({}, {"inbound-port": 99999}, "values.inboundProxyPort"),
])
def test_validation_errors_name_the_field(values, flags, field):
    with pytest.raises(InvalidParams) as err:
        build_values(values, flags, HEAD)
    assert err.value.field == field
    assert field in str(err.value)


def test_namespace_is_validated():
    with pytest.raises(InvalidParams) as err:
        build_values({}, {}, HEAD, namespace="linkerd")
    assert err.value.field == "namespace"
    with pytest.raises(InvalidParams):
        build_values({}, {}, HEAD, namespace="Bad_NS")


def test_flags_map_to_values_and_values_win():
    values = build_values({"logLevel": "warn"}, {
        "cni-log-level": "debug", "inbound-port": 5143, "skip-outbound-ports": ["443", "6443"], "proxy-gid": 7,
        "cni-image-version": "v1.6.8", "registry": "ghcr.io/linkerd", "use-wait-flag": True,
        "priority-class-name": "system-node-critical", "dest-cni-bin-dir": "/home/kubernetes/bin",
    }, HEAD)
    assert values.log_level == "warn"
    assert values.inbound_proxy_port == 5143
    assert values.ignore_outbound_ports == "443,6443"
    assert values.image == "ghcr.io/linkerd/cni-plugin:v1.6.8"
    assert values.proxy_gid == 7 and values.use_wait_flag is True
    assert values.dest_cni_bin_dir == "/home/kubernetes/bin"


def test_image_name_in_values_wins_over_registry_flag():
    values = build_values({"image": {"name": "example.com/cni"}}, {"registry": "ghcr.io/linkerd"}, HEAD)
    assert values.image_name == "example.com/cni"


def test_release_defaults_apply_unless_set():
    old = get_release("edge-25.8.1")
    assert build_values({}, {}, old).iptables_mode == "legacy"
    assert build_values({"iptablesMode": "nft"}, {}, old).iptables_mode == "nft"
    assert build_values({}, {}, HEAD).iptables_mode == "nft"
    assert build_values({}, {}, HEAD).image_version == HEAD.cni_plugin


@pytest.mark.parametrize(("version", "values", "field"), [
    ("stable-2.14.0", {"repairController": {"enabled": True}}, "values.repairController.enabled"),
    ("stable-2.14.10", {"iptablesMode": "nft"}, "values.iptablesMode"),
    ("edge-24.2.4", {"disableIPv6": False}, "values.disableIPv6"),
    ("edge-24.4.1", {"proxyGID": 1000}, "values.proxyGID"),
    ("edge-24.11.8", {"iptablesMode": "plain"}, "values.iptablesMode"),
])
def test_settings_an_old_plugin_would_silently_ignore_are_refused(version, values, field):
    with pytest.raises(InvalidParams) as err:
        build_values(values, {}, get_release(version))
    assert err.value.field == field
    assert "silently ignore" in err.value.message


def test_quantities_and_percentages_accepted():
    values = build_values({"resources": {"cpu": {"request": "0.5", "limit": "1"}, "memory": {"limit": "1e3"}},
                           "updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%"}}}, {}, HEAD)
    assert values.resources["cpu"] == {"request": "0.5", "limit": "1"}
    assert values.max_unavailable == "10%"
