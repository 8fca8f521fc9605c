"""Reading kubeconfig files safely. Pure Python, no Django.

Only self-contained credentials are accepted: a bearer token or an embedded client certificate and key, with an
embedded CA. Anything that would run a command or read a local file on the cnimgr server is refused, because the
server is not the user's laptop: an `exec` plugin or a file path would run or read on our machine.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

MAX_KUBECONFIG_BYTES = 1024 * 1024
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about 10x faster on large files

TOKEN_HINT = (
    "Create a service account for cnimgr on that cluster, bind it to the ClusterRole in docs/permissions.md, "
    "and use a token context: `kubectl create token cnimgr -n kube-system --duration=8760h`, or a Secret of type "
    "kubernetes.io/service-account-token, then put the token under `users[].user.token`."
)


class KubeconfigError(ValueError):
    """The whole file is unusable."""


@dataclass
class ContextCandidate:
    context: str
    name: str
    server: str = ""
    ca_pem: str = ""
    credential_kind: str = ""
    token: str = field(default="", repr=False)
    client_certificate: str = ""
    client_key: str = field(default="", repr=False)
    problem: str = ""
    hint: str = ""

    @property
    def usable(self) -> bool:
        return not self.problem


def slug(value: str) -> str:
    text = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return (text or "cluster")[:100]


def _decode_pem(data: str, what: str) -> str:
    try:
        raw = base64.b64decode(data, validate=True)
        text = raw.decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} is not valid base64-encoded PEM") from exc
    if "-----BEGIN" not in text:
        raise ValueError(f"{what} is not PEM")
    return text


def _check_certificate(pem: str, what: str) -> None:
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise ValueError(f"{what} does not hold a valid certificate") from exc


def _check_private_key(pem: str) -> None:
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("client-key-data is not a valid unencrypted private key") from exc


def _named(items, kind: str) -> dict[str, dict]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise KubeconfigError(f"`{kind}` must be a list")
    out: dict[str, dict] = {}
    for entry in items:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KubeconfigError(f"every entry of `{kind}` needs a name")
        body = entry.get(kind[:-1])
        out[entry["name"]] = body if isinstance(body, dict) else {}
    return out


def _read_cluster(candidate: ContextCandidate, spec: dict) -> None:
    server = spec.get("server")
    if not isinstance(server, str) or not server:
        raise ValueError("the cluster has no `server`")
    parsed = urlparse(server)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ValueError(f"server must be an https:// URL (got scheme {parsed.scheme or 'none'!r})")
    if spec.get("insecure-skip-tls-verify"):
        raise ValueError("insecure-skip-tls-verify is not accepted; embed the CA as certificate-authority-data")
    if "certificate-authority" in spec:
        raise ValueError("certificate-authority is a file path; embed it as certificate-authority-data")
    if spec.get("proxy-url"):
        raise ValueError("proxy-url is not supported")
    candidate.server = server
    if spec.get("certificate-authority-data"):
        candidate.ca_pem = _decode_pem(str(spec["certificate-authority-data"]), "certificate-authority-data")
        _check_certificate(candidate.ca_pem, "certificate-authority-data")


def _read_user(candidate: ContextCandidate, spec: dict) -> None:
    if "exec" in spec:
        command = spec["exec"].get("command", "?") if isinstance(spec["exec"], dict) else "?"
        raise ValueError(f"the user runs a command (exec plugin `{command}`); cnimgr never runs commands")
    if "auth-provider" in spec:
        raise ValueError("the user uses an auth-provider plugin, which cnimgr does not run")
    if "tokenFile" in spec:
        raise ValueError("tokenFile is a file path on this machine; put the token itself under `token`")
    for key in ("client-certificate", "client-key"):
        if key in spec:
            raise ValueError(f"{key} is a file path; embed it as {key}-data")
    if "username" in spec or "password" in spec:
        raise ValueError("basic authentication (username/password) is not supported by Kubernetes any more")
    token = spec.get("token")
    cert, key = spec.get("client-certificate-data"), spec.get("client-key-data")
    if token:
        candidate.credential_kind, candidate.token = "token", str(token).strip()
    elif cert and key:
        candidate.client_certificate = _decode_pem(str(cert), "client-certificate-data")
        _check_certificate(candidate.client_certificate, "client-certificate-data")
        candidate.client_key = _decode_pem(str(key), "client-key-data")
        _check_private_key(candidate.client_key)
        candidate.credential_kind = "client-certificate"
    else:
        raise ValueError("the user has no token and no embedded client certificate and key")


def parse(text: str | bytes) -> list[ContextCandidate]:
    """Every context of the file, each either usable or carrying the reason it is refused."""
    if isinstance(text, bytes):
        if len(text) > MAX_KUBECONFIG_BYTES:
            raise KubeconfigError("the kubeconfig is larger than 1 MiB")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KubeconfigError("the kubeconfig is not UTF-8 text") from exc
    if len(text) > MAX_KUBECONFIG_BYTES:
        raise KubeconfigError("the kubeconfig is larger than 1 MiB")
    try:
        doc = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader, libyaml's when present
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise KubeconfigError(f"the kubeconfig is not valid YAML{at}") from exc
    if not isinstance(doc, dict):
        raise KubeconfigError("the kubeconfig must be a YAML mapping with clusters, users and contexts")
    if doc.get("kind", "Config") != "Config":
        raise KubeconfigError(f"expected kind Config, got {doc.get('kind')!r}")
    clusters, users, contexts = _named(doc.get("clusters"), "clusters"), _named(doc.get("users"), "users"), \
        _named(doc.get("contexts"), "contexts")  # fmt: skip
    if not contexts:
        raise KubeconfigError("the kubeconfig has no contexts")
    candidates = []
    for context_name, ctx in contexts.items():
        candidate = ContextCandidate(context=context_name, name=slug(context_name))
        try:
            cluster_ref, user_ref = ctx.get("cluster"), ctx.get("user")
            if cluster_ref not in clusters:
                raise ValueError(f"context refers to cluster {cluster_ref!r}, which is not in the file")
            if user_ref not in users:
                raise ValueError(f"context refers to user {user_ref!r}, which is not in the file")
            _read_cluster(candidate, clusters[cluster_ref])
            _read_user(candidate, users[user_ref])
        except ValueError as exc:
            candidate.problem = str(exc)
            candidate.hint = TOKEN_HINT if "command" in str(exc) or "plugin" in str(exc) else (
                "Edit the kubeconfig so the context is self-contained (embedded *-data fields), then upload it again."
            )  # fmt: skip
            candidate.token = candidate.client_key = ""
        candidates.append(candidate)
    return candidates
