"""Production settings: refuse to start without real keys, and pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CNIMGR_", "DATABASE_URL"))}
    clean.update(DJANGO_SETTINGS_MODULE="cnimgr.settings.production", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_production_refuses_to_start_without_keys(tmp_path):
    result = manage("check", CNIMGR_DATA_DIR=str(tmp_path))
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr
    result = manage("check", CNIMGR_DATA_DIR=str(tmp_path), DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0 and "CNIMGR_ENCRYPTION_KEYS" in result.stderr
    result = manage("check", CNIMGR_DATA_DIR=str(tmp_path), DJANGO_SECRET_KEY="x" * 60, CNIMGR_ENCRYPTION_KEYS="nope")
    assert result.returncode != 0 and "not a valid Fernet key" in result.stderr
    assert not (tmp_path / "keys.json").exists()  # production never generates keys


def test_check_deploy_reports_no_issues(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", CNIMGR_DATA_DIR=str(tmp_path),
        DJANGO_SECRET_KEY=os.urandom(40).hex(), CNIMGR_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="cnimgr.example.com",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
