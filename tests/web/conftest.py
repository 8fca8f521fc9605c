"""Dashboard test helpers: Django test clients logged in with a role."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ClusterFactory, RunFactory, UserFactory


@pytest.fixture
def web_as(db):
    """`web_as("viewer")` -> a Django test client logged in as a fresh user with that role."""

    def make(role: str | None) -> Client:
        client = Client()
        user = UserFactory(role=role)
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def viewer(web_as) -> Client:
    return web_as("viewer")


@pytest.fixture
def operator(web_as) -> Client:
    return web_as("operator")


@pytest.fixture
def admin(web_as) -> Client:
    return web_as("admin")


@pytest.fixture
def cluster(db):
    return ClusterFactory(
        name="prod-eu-1",
        labels={"env": "prod", "region": "eu-west"},
        cni_version="v1.6.0",
        control_plane_version="stable-2.14.10",
        reachable=True,
    )


@pytest.fixture
def run(cluster):
    return RunFactory(
        cluster=cluster, kind="check", state="running", progress_done=2, progress_total=5, progress_step="checks"
    )
