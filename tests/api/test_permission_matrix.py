"""Every endpoint × every role. A row says the lowest role allowed; roles below get 403, anonymous gets 401."""

import pytest

from audit.models import AuditEvent
from operations.models import RunState
from tests.factories import ClusterFactory, RunFactory, self_signed_pem

ROLES = [None, "viewer", "operator", "admin"]
ORDER = {None: 0, "viewer": 1, "operator": 2, "admin": 3}


def _new_cluster_body():
    ca, _ = self_signed_pem()
    return {"name": "new-one", "server": "https://10.1.1.1:6443", "ca_bundle": ca, "credential_kind": "token",
            "token": "s3cr3t-token-value"}  # fmt: skip


def _kubeconfig_body():
    return {"kubeconfig": "apiVersion: v1\nkind: Config\ncontexts: []\n"}


# (name, method, path template, lowest role, body factory, expected success status)
ENDPOINTS = [
    ("cluster-list", "get", "/api/v1/clusters/", "viewer", None, 200),
    ("cluster-create", "post", "/api/v1/clusters/", "operator", _new_cluster_body, 201),
    ("cluster-detail", "get", "/api/v1/clusters/{cluster}/", "viewer", None, 200),
    ("cluster-update", "patch", "/api/v1/clusters/{cluster}/", "operator", lambda: {"description": "x"}, 200),
    ("cluster-delete", "delete", "/api/v1/clusters/{idle_cluster}/", "admin", None, 204),
    ("cluster-import", "post", "/api/v1/clusters/import-kubeconfig/", "operator", _kubeconfig_body, 400),
    ("run-list", "get", "/api/v1/runs/", "viewer", None, 200),
    ("run-create", "post", "/api/v1/runs/", "operator", lambda: {"cluster": "{cluster}", "kind": "connectivity"}, 202),
    ("run-bulk", "post", "/api/v1/runs/bulk/", "operator",
     lambda: {"clusters": ["{cluster}"], "kind": "connectivity"}, 202),
    ("run-detail", "get", "/api/v1/runs/{run}/", "viewer", None, 200),
    ("run-events", "get", "/api/v1/runs/{run}/events/", "viewer", None, 200),
    ("run-cancel", "post", "/api/v1/runs/{run}/cancel/", "operator", None, 202),
    ("run-retry", "post", "/api/v1/runs/{finished_run}/retry/", "operator", None, 202),
    ("audit-list", "get", "/api/v1/audit-events/", "viewer", None, 200),
    ("audit-export", "get", "/api/v1/audit-events/export/?type=json", "viewer", None, 200),
    ("audit-verify", "get", "/api/v1/audit-events/verify/", "viewer", None, 200),
    ("token-list", "get", "/api/v1/auth/tokens/", "viewer", None, 200),
    ("token-create", "post", "/api/v1/auth/tokens/", "viewer", lambda: {"name": "ci"}, 201),
    ("schema", "get", "/api/v1/schema/", "viewer", None, 200),
]


def _fill(template, objects):
    if isinstance(template, dict):
        return {k: _fill(v, objects) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(item, objects) for item in template]
    if isinstance(template, str):
        return template.format(**objects)
    return template


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no-role")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_role_matrix(endpoint, role, client_as):
    name, method, path, lowest, body, success = endpoint
    cluster = ClusterFactory()
    objects = {
        "cluster": cluster.name,
        "idle_cluster": ClusterFactory().name,
        "run": RunFactory(cluster=cluster).pk,
        "finished_run": RunFactory(cluster=cluster, state=RunState.FAILED).pk,
    }
    client = client_as(role)
    kwargs = {"format": "json"}
    if body:
        kwargs["data"] = _fill(body(), objects)
    audited_before = AuditEvent.objects.count()
    response = getattr(client, method)(_fill(path, objects), **kwargs)
    if ORDER[role] >= ORDER[lowest]:
        assert response.status_code == success, (name, role, response.content[:500])
        if method != "get" and success < 300:  # every accepted change leaves an audit event, by this actor
            assert AuditEvent.objects.count() > audited_before, name
            assert AuditEvent.objects.order_by("-id").first().actor_username == client.user.username, name
    else:
        assert response.status_code == 403, (name, role, response.status_code)
        assert response.data["error"]["code"] == "permission_denied"
        assert AuditEvent.objects.count() == audited_before, name  # a refused request changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_anonymous_gets_401(endpoint, api_client):
    name, method, path, _lowest, _body, _success = endpoint
    url = path.format(cluster="c", idle_cluster="c", run=1, finished_run=1)
    response = getattr(api_client, method)(url, format="json")
    assert response.status_code == 401, name
    assert response.data["error"]["status"] == 401
