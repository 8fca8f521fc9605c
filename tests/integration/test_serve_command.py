"""The README's first command, as written: embedded defaults (SQLite, filesystem broker), web + worker + beat."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
        return json.loads(response.read())


def test_serve_command_runs_web_worker_and_beat_on_embedded_defaults(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CNIMGR_TEST_REDIS_URL")}
    env.update(CNIMGR_DATA_DIR=str(tmp_path / "var"), CNIMGR_PORT=str(port), CNIMGR_ADMIN_PASSWORD="serve-test-pw-1")
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)  # fmt: skip
    try:
        wait_for(lambda: "cnimgr is running" in (tmp_path / "serve.log").read_text(errors="replace")
                 or serve.poll() is not None, 180, message="serve.sh to start")  # fmt: skip
        assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        base = f"http://127.0.0.1:{port}"
        assert urllib.request.urlopen(f"{base}/healthz", timeout=10).status == 200  # noqa: S310
        assert (tmp_path / "var" / "cnimgr.sqlite3").exists() and (tmp_path / "var" / "keys.json").exists()

        manage_env = {**env, "DJANGO_SETTINGS_MODULE": "cnimgr.settings.local"}
        token = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from datetime import timedelta; from django.utils import timezone; "
             "from django.contrib.auth import get_user_model; from accounts.models import ApiToken; "
             "print(ApiToken.issue(user=get_user_model().objects.get(username='admin'), name='t', "
             "expires_at=timezone.now() + timedelta(hours=1))[1])"],
            cwd=ROOT, env=manage_env, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        from tests.factories import self_signed_pem

        call(f"{base}/api/v1/clusters/", token, {"name": "local", "server": "https://127.0.0.1:1",
                                                 "ca_bundle": self_signed_pem()[0], "credential_kind": "token",
                                                 "token": "serve-test-token-123"})  # fmt: skip
        run = call(f"{base}/api/v1/runs/", token, {"cluster": "local", "kind": "connectivity"})
        finished = wait_for(lambda: (r := call(run["url"], token))["state"] not in ("queued", "running") and r, 90,
                            message="the worker to run it over the filesystem broker")  # fmt: skip
        assert finished["state"] == "failed" and "reach" in finished["error"]
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    time.sleep(1)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web server outlived serve.sh"
    # This serve's worker only: its beat schedule lives in this test's data dir (another cnimgr may be running)
    mine = f"celery -A cnimgr worker -B .*{tmp_path / 'var'}"
    workers = subprocess.run(["pgrep", "-f", mine], capture_output=True, text=True).stdout
    assert workers.strip() == "", "the worker outlived serve.sh"
