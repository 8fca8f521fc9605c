"""Property-based API testing from the OpenAPI schema: no server errors, one error format, schema-conformant."""

import json
from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings

from accounts.models import ApiToken
from tests.factories import ClusterFactory, RunFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_schema_is_generated_and_lists_every_endpoint(client_as):
    schema = client_as("viewer").get("/api/v1/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    for expected in ["/api/v1/clusters/", "/api/v1/clusters/import-kubeconfig/", "/api/v1/runs/",
                     "/api/v1/runs/{id}/events/", "/api/v1/runs/{id}/cancel/", "/api/v1/audit-events/",
                     "/api/v1/auth/tokens/"]:  # fmt: skip
        assert expected in paths
    assert "bearerToken" in schema["components"]["securitySchemes"]


@pytest.fixture
def admin_token(db):
    user = UserFactory(role="admin")
    _, plaintext = ApiToken.issue(user=user, name="fuzz", expires_at=timezone.now() + timedelta(days=1))
    return plaintext


@pytest.fixture
def keep_test_connection():
    """Requests through the raw WSGI app would close the test's database connection; Django's client does this too."""
    from django.core import signals
    from django.db import close_old_connections

    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _load_schema():
    """Generated in-process from the code (no request needed), then served calls go through the WSGI app."""
    from drf_spectacular.generators import SchemaGenerator

    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    return schemathesis.openapi.from_dict(raw).include(method="GET")


schema = _load_schema()


@pytest.fixture
def seeded(db):
    cluster = ClusterFactory(name="fuzz-cluster")
    RunFactory(cluster=cluster)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_read_endpoints_never_fail_with_a_server_error(case, admin_token, seeded, keep_test_connection):
    from cnimgr.wsgi import application

    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code < 500, (case.path, response.status_code, response.text[:300])
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", [""])[0]:
        assert "error" in response.json(), response.text[:300]
