"""Liveness and readiness probes: no login, no detail beyond which dependency failed."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz_answer_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["broker"] == "ok" and checks["broker_ms"] >= 0


def test_readyz_names_the_broker_when_it_is_down_and_leaks_nothing(client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own setting (CI sets it), so the dead broker
    # goes there; nothing listens on port 1.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:SECRET-BROKER-PASSWORD@127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["broker"] == "unavailable"
    assert body["checks"]["database"] == "ok" and "SECRET-BROKER-PASSWORD" not in response.content.decode()


def test_readyz_names_the_database_when_it_is_down(client, monkeypatch):
    from django.db import OperationalError

    from cnimgr import health

    def down():
        raise OperationalError("could not connect")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["database"] == "unavailable"
