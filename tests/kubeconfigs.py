"""Builders of kubeconfig documents for tests."""

from __future__ import annotations

import base64

import yaml

from tests.factories import self_signed_pem


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def kubeconfig(contexts: dict[str, dict], server: str = "https://10.0.0.1:6443") -> str:
    """contexts: name -> user spec (dict as in a kubeconfig's users[].user)."""
    ca, _ = self_signed_pem()
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"{n}-cluster", "cluster": {"server": server, "certificate-authority-data": b64(ca)}}
                     for n in contexts],
        "users": [{"name": f"{n}-user", "user": spec} for n, spec in contexts.items()],
        "contexts": [{"name": n, "context": {"cluster": f"{n}-cluster", "user": f"{n}-user"}} for n in contexts],
        "current-context": next(iter(contexts)),
    })  # fmt: skip


def cert_user() -> dict:
    cert, key = self_signed_pem("cnimgr")
    return {"client-certificate-data": b64(cert), "client-key-data": b64(key)}
