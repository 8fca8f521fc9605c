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
    from cnimgr.celery import app

    down = "redis://:SECRET-BROKER-PASSWORD@127.0.0.1:1/0"  # nothing listens on port 1
    # Celery reads CELERY_BROKER_URL from the environment before its own setting, so both point at the dead broker.
    monkeypatch.setenv("CELERY_BROKER_URL", down)
    original = app.conf.broker_url
    app.conf.broker_url = down
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = original
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
