import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytest_plugins = ["testbed.pytest_plugin"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user_with_role(db):
    def make(role: str | None):
        return UserFactory(role=role)

    return make


@pytest.fixture
def client_as(api_client, user_with_role):
    """An API client logged in with the given role (None: an authenticated user without a role)."""

    def make(role: str | None):
        user = user_with_role(role)
        api_client.force_authenticate(user)
        api_client.user = user
        return api_client

    return make


@pytest.fixture(autouse=True)
def _no_broker_by_default(request, monkeypatch):
    """Unit and API tests don't need a broker: runs are created and left queued. Integration tests opt out."""
    if request.node.get_closest_marker("integration") or request.node.get_closest_marker("fleet"):
        return
    monkeypatch.setattr("operations.services.enqueue", lambda run: None)
    monkeypatch.setattr("clusters.services.observe_soon", lambda cluster: None)
