"""docker-compose.yml is checked by reading (no Docker engine here): every part present, healthy and wired."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_checks():
    services = compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()
    assert services["worker"]["command"][:3] == ["celery", "-A", "cnimgr"]
    assert services["beat"]["command"][3] == "beat"


def test_app_services_use_postgres_and_redis_and_wait_for_them():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_example_environment_names_every_required_secret():
    example = (ROOT / ".env.example").read_text()
    for name in ("DJANGO_SECRET_KEY", "CNIMGR_ENCRYPTION_KEYS", "POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS"):
        assert f"{name}=" in example
