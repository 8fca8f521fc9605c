"""Which network addresses cnimgr refuses to send cluster credentials to.

API servers live on private networks, so RFC 1918 and loopback are allowed by default; link-local addresses
(where cloud metadata services answer, e.g. 169.254.169.254) and unspecified addresses are not. The list is a
setting (``CNIMGR_FORBIDDEN_NETWORKS``); production can add 127.0.0.0/8 and ::1. Names are resolved and every
address they resolve to is checked, right before connecting.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from lifecycle.errors import ClusterError

DEFAULT_FORBIDDEN_NETWORKS = ("169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128", "fd00:ec2::254/128")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) to networks; raises ValueError naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not a network or address: {value!r}") from None
    return tuple(networks)


def forbidden_network(address: str, networks: Iterable[Network]) -> Network | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return next((n for n in networks if ip.version == n.version and ip in n), None)


def literal_host_problem(server: str, networks: Iterable[Network]) -> str:
    """For registration: a problem with a server URL whose host is a literal address, else ""."""
    host = urlsplit(server).hostname or ""
    try:
        network = forbidden_network(host, networks)
    except ValueError:
        return ""  # a name: resolved and checked when connecting
    return f"{host} is in {network}, where cnimgr never sends credentials" if network else ""


def check_server(server: str, networks: Iterable[Network]) -> None:
    """Before connecting: refuse if the server's host is, or resolves to, a forbidden address."""
    networks = tuple(networks)
    if not networks:
        return
    parts = urlsplit(server)
    host, port = parts.hostname or "", parts.port or 443
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError) as exc:
        raise ClusterError("unreachable", f"cannot resolve the API server's host {host!r}: {exc}",
                           hint="Check the server URL and this worker's DNS.") from None  # fmt: skip
    for address in sorted(addresses):
        network = forbidden_network(address, networks)
        if network:
            raise ClusterError(
                "invalid", f"the API server {host!r} resolves to {address}, in {network}, where cnimgr never sends "
                "credentials (link-local addresses are where cloud metadata services answer)",
                hint="Register the cluster by an address outside CNIMGR_FORBIDDEN_NETWORKS.",
            )  # fmt: skip
