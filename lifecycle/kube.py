"""Connections to managed clusters and translation of client errors into user-facing ClusterErrors."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import urllib3.exceptions
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from lifecycle.addresses import DEFAULT_FORBIDDEN_NETWORKS, Network, check_server, parse_networks
from lifecycle.errors import ClusterError

# Every request gets a deadline; a hung API server must not hang a worker forever.
REQUEST_TIMEOUT_SECONDS = 30

# Exceptions that mean "the cluster (or the network) said no", as opposed to a bug in cnimgr.
CLUSTER_EXCEPTIONS: tuple[type[BaseException], ...] = (
    ApiException,
    urllib3.exceptions.HTTPError,
    ssl.SSLError,
    ConnectionError,
    TimeoutError,
)


@dataclass(eq=False)
class ClusterConnection:
    """How to reach one cluster. Credentials never appear in repr() or in error messages."""

    name: str
    server: str
    ca_pem: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    client_cert_pem: str = field(default="", repr=False)
    client_key_pem: str = field(default="", repr=False)
    insecure_skip_tls_verify: bool = False
    # Checked (with DNS resolution) before the first request: credentials never go to a metadata address.
    forbidden_networks: tuple[Network, ...] = field(default=parse_networks(DEFAULT_FORBIDDEN_NETWORKS), repr=False)
    _tmpdir: str | None = field(default=None, init=False, repr=False)
    _api: k8s.ApiClient | None = field(default=None, init=False, repr=False)
    _dynamic: DynamicClient | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.server.startswith("https://"):
            raise ValueError("server must be an https:// URL")
        if not self.token and not (self.client_cert_pem and self.client_key_pem):
            raise ValueError("a token or a client certificate and key are required")

    def _write_private(self, filename: str, content: str) -> str:
        assert self._tmpdir is not None
        path = os.path.join(self._tmpdir, filename)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(content)
        return path

    def api_client(self) -> k8s.ApiClient:
        """The one ApiClient of this connection (created on first use, thread-safe)."""
        with self._lock:
            if self._api is None:
                check_server(self.server, self.forbidden_networks)
                # The client wants file paths for CA, cert and key. mkdtemp creates the directory 0700.
                self._tmpdir = tempfile.mkdtemp(prefix="cnimgr-conn-")
                config = k8s.Configuration()
                config.host = self.server
                config.verify_ssl = not self.insecure_skip_tls_verify
                config.retries = 1  # fail fast on unreachable servers; callers decide about retrying
                if self.ca_pem:
                    config.ssl_ca_cert = self._write_private("ca.crt", self.ca_pem)
                if self.client_cert_pem and self.client_key_pem:
                    config.cert_file = self._write_private("client.crt", self.client_cert_pem)
                    config.key_file = self._write_private("client.key", self.client_key_pem)
                if self.token:
                    # kubernetes 36 reads "BearerToken" and ignores the prefix map for its old "authorization"
                    # alias, so the scheme goes into the value (as the client's own kubeconfig loader does).
                    config.api_key = {"BearerToken": f"Bearer {self.token}"}
                self._api = k8s.ApiClient(config)
            return self._api

    def dynamic(self) -> DynamicClient:
        """A DynamicClient with its own discovery cache file, so a re-created cluster never sees stale discovery."""
        api = self.api_client()
        with self._lock:
            if self._dynamic is None:
                assert self._tmpdir is not None
                cache_file = os.path.join(self._tmpdir, "discovery.json")
                with translate_errors("discover the cluster's API resources"):
                    self._dynamic = DynamicClient(api, cache_file=cache_file)
            return self._dynamic

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.close()
            self._api = None
            self._dynamic = None
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> ClusterConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_FORBIDDEN_RE = re.compile(
    r'cannot (?P<verb>[\w-]+) resource "(?P<resource>[^"]+)" in API group "(?P<group>[^"]*)"'
    r'(?: in the namespace "(?P<namespace>[^"]+)")?'
)


def _status_message(exc: ApiException) -> str:
    """The Status.message the API server sent, if any (the body is JSON for API errors)."""
    body: Any = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return str(json.loads(body).get("message", ""))
        except (ValueError, AttributeError):
            return ""
    return ""


def describe_forbidden(message: str) -> str:
    """Turn the API server's 403 text into "cannot create clusterroles.rbac.authorization.k8s.io"."""
    match = _FORBIDDEN_RE.search(message)
    if not match:
        return "permission denied"
    resource = match["resource"] + (f".{match['group']}" if match["group"] else "")
    where = f" in namespace {match['namespace']}" if match["namespace"] else ""
    return f"cannot {match['verb']} {resource}{where}"


def _root_cause(exc: BaseException) -> BaseException:
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, BaseException) else exc


def classify_error(exc: BaseException, action: str = "") -> ClusterError:
    """Translate a client exception into a ClusterError with a message and a hint. Raises TypeError for a bug."""
    doing = f" while trying to {action}" if action else ""
    if isinstance(exc, ClusterError):
        return exc
    if isinstance(exc, ApiException) and getattr(exc, "status", 0):
        status = int(exc.status)
        server_text = _status_message(exc)
        if status == 401:
            return ClusterError("unauthorized", f"the API server rejected cnimgr's credentials{doing} (401)",
                                hint="The token or client certificate is wrong or expired: update the cluster's "
                                     "credentials.", status=status)
        if status == 403:
            what = describe_forbidden(server_text)
            return ClusterError("forbidden", f"{what}{doing} (403)",
                                hint="Grant cnimgr the ClusterRole listed in docs/permissions.md and run the "
                                     "connectivity check again.", status=status, data={"denied": what})
        if status == 404:
            return ClusterError("not-found", f"not found{doing}: {server_text}".rstrip(": "),
                                hint="The object or API is missing on this cluster.", status=status)
        if status == 409:
            return ClusterError("conflict", f"conflict{doing}: {server_text}".rstrip(": "),
                                hint="Someone else changed the object at the same time; run the operation again.",
                                status=status)
        if status in (400, 422):
            return ClusterError("invalid", f"the API server refused the request{doing}: {server_text}",
                                hint="The rendered object is not valid for this cluster's Kubernetes version.",
                                status=status)
        return ClusterError("server-error", f"the API server answered {status}{doing}: {server_text}".rstrip(": "),
                            hint="The API server is unhealthy or overloaded; retry later.", status=status)
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLError | urllib3.exceptions.SSLError) or isinstance(exc, ssl.SSLError):
        return ClusterError("tls", f"TLS handshake with the API server failed{doing}",
                            hint="Check the cluster's CA certificate (and the client certificate, if used).")
    if isinstance(exc, CLUSTER_EXCEPTIONS):
        return ClusterError("unreachable", f"cannot reach the API server{doing}",
                            hint="Check the server URL, DNS, firewalls and that the API server is running.")
    raise TypeError(f"not a cluster error: {type(exc).__name__}")


@contextlib.contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Re-raise any client/transport exception inside the block as a ClusterError naming ``action``."""
    try:
        yield
    except CLUSTER_EXCEPTIONS as exc:
        raise classify_error(exc, action) from exc
