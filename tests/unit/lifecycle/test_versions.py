import pytest

from lifecycle.errors import InvalidParams
from lifecycle.versions import (
    CHANNELS,
    FEATURE_MIN_CNI_PLUGIN,
    at_least,
    catalogue,
    check_upgrade,
    get_release,
    latest,
    parse_semver,
)


def test_every_channel_has_releases_and_prefixes_match():
    for channel in CHANNELS:
        assert latest(channel).version.startswith(channel + "-")


def test_catalogue_is_ordered_within_each_channel():
    for channel in CHANNELS:
        releases = [r for r in catalogue().values() if r.channel == channel]
        for older, newer in zip(releases, releases[1:], strict=False):
            assert older.major <= newer.major
            assert parse_semver(older.cni_plugin) <= parse_semver(newer.cni_plugin)
            assert older.min_kubernetes <= newer.min_kubernetes


def test_facts_table_is_encoded():
    assert get_release("edge-24.2.4").cni_plugin == "v1.3.0"  # version-2.15
    assert get_release("edge-24.8.2").cni_plugin == "v1.5.1"  # version-2.16
    assert get_release("edge-24.11.8").cni_plugin == "v1.5.2"  # version-2.17
    assert get_release("edge-25.4.4").cni_plugin == "v1.6.2"  # version-2.18
    assert get_release("edge-25.10.7").cni_plugin == "v1.6.4"  # version-2.19
    assert get_release("edge-26.6.3").min_kubernetes == (1, 31)  # 2.20
    assert get_release("stable-2.14.10").cni_plugin == "v1.3.0"


def test_unknown_version_lists_known_ones():
    with pytest.raises(InvalidParams) as err:
        get_release("edge-99.1.1", "to")
    assert err.value.field == "to"
    assert "edge-26.8.3" in err.value.message and "stable-2.14.10" in err.value.message


@pytest.mark.parametrize(("source", "target"), [
    ("edge-24.2.4", "edge-24.8.2"),  # next major
    ("edge-24.8.2", "edge-24.10.3"),  # within a major
    ("stable-2.14.0", "stable-2.14.10"),
    ("stable-2.14.10", "edge-24.2.4"),  # 2.14 -> 2.15 across channels
    ("edge-26.6.3", "edge-26.8.3"),
    ("edge-26.8.3", "edge-26.8.3"),  # re-apply
])
def test_allowed_steps(source, target):
    check_upgrade(get_release(source), get_release(target))


@pytest.mark.parametrize(("source", "target", "words"), [
    ("edge-24.2.4", "edge-24.11.8", "one major version at a time"),
    ("stable-2.14.10", "edge-24.8.2", "one major version at a time"),
    ("edge-25.10.7", "edge-25.4.4", "downgrades are not supported"),
    ("edge-24.10.3", "edge-24.8.2", "downgrades are not supported"),
])
def test_refused_steps(source, target, words):
    with pytest.raises(InvalidParams) as err:
        check_upgrade(get_release(source), get_release(target))
    assert words in err.value.message and err.value.field == "version"


def test_changed_chart_defaults_and_channel_switches_are_warned():
    warnings = check_upgrade(get_release("edge-25.8.1"), get_release("edge-25.10.7"))
    assert any("iptablesMode" in w for w in warnings)
    warnings = check_upgrade(get_release("edge-24.8.2"), get_release("enterprise-2.16.2"))
    assert any("channel" in w for w in warnings) and any("assumed" in w for w in warnings)


def test_feature_gates_and_at_least():
    assert get_release("edge-24.2.4").supports("repairController")
    assert not get_release("stable-2.14.0").supports("repairController")
    assert not get_release("edge-24.11.8").supports("iptablesMode=plain")
    assert set(FEATURE_MIN_CNI_PLUGIN) >= {"repairController", "proxyGID"}
    assert at_least(get_release("edge-26.8.3"), "edge-26.7.1")
    assert not at_least(get_release("enterprise-2.16.2"), "edge-26.7.1")
