"""Credentials never go to link-local (cloud metadata) or unspecified addresses, literal or resolved."""

import socket

import pytest

from lifecycle.addresses import (
    DEFAULT_FORBIDDEN_NETWORKS,
    check_server,
    forbidden_network,
    literal_host_problem,
    parse_networks,
)
from lifecycle.errors import ClusterError
from lifecycle.kube import ClusterConnection
from lifecycle.operations import KINDS
from lifecycle.reporting import MemoryReporter

DEFAULT = parse_networks(DEFAULT_FORBIDDEN_NETWORKS)


@pytest.mark.parametrize("address", ["169.254.169.254", "169.254.0.1", "::ffff:169.254.169.254", "fe80::1%eth0",
                                     "0.0.0.0", "::", "fd00:ec2::254"])  # fmt: skip
def test_metadata_and_unspecified_addresses_are_forbidden_by_default(address):
    assert forbidden_network(address, DEFAULT) is not None


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.10", "172.16.5.5", "127.0.0.1", "::1", "2001:db8::1"])
def test_private_and_loopback_api_servers_are_allowed_by_default(address):
    assert forbidden_network(address, DEFAULT) is None


def test_bad_setting_names_the_entry():
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_networks(["127.0.0.0/8", "10.0.0.0/33"])


def test_registration_refuses_literal_forbidden_hosts_and_leaves_names_for_connect_time():
    assert "169.254.0.0/16" in literal_host_problem("https://169.254.169.254:6443", DEFAULT)
    assert "fe80::/10" in literal_host_problem("https://[fe80::1]:6443", DEFAULT)
    assert literal_host_problem("https://10.1.2.3:6443", DEFAULT) == ""
    assert literal_host_problem("https://metadata.google.internal", DEFAULT) == ""


def test_names_are_resolved_before_connecting():
    loopback = parse_networks(["127.0.0.0/8", "::1"])
    with pytest.raises(ClusterError, match="resolves to 127.0.0.1") as caught:
        check_server("https://localhost:6443", loopback)
    assert caught.value.kind == "invalid" and "CNIMGR_FORBIDDEN_NETWORKS" in caught.value.hint
    check_server("https://localhost:6443", DEFAULT)  # allowed: returns quietly
    with pytest.raises(ClusterError) as unresolvable:
        check_server("https://no-such-host.invalid:6443", DEFAULT)
    assert unresolvable.value.kind == "unreachable"


def test_no_connection_is_made_to_a_forbidden_address():
    """A listening sentinel on the forbidden address sees no connection attempt from a whole operation."""
    sentinel = socket.socket()
    sentinel.bind(("127.0.0.1", 0))
    sentinel.listen(1)
    sentinel.setblocking(False)
    port = sentinel.getsockname()[1]
    try:
        connection = ClusterConnection(name="evil", server=f"https://127.0.0.1:{port}", token="SECRET-TOKEN-1",
                                       forbidden_networks=parse_networks(["127.0.0.0/8"]))  # fmt: skip
        with connection, pytest.raises(ClusterError, match="never sends credentials") as caught:
            KINDS["connectivity"].run(connection, {}, MemoryReporter())
        assert "SECRET-TOKEN-1" not in str(caught.value)
        with pytest.raises(BlockingIOError):
            sentinel.accept()
    finally:
        sentinel.close()
