"""Real Celery workers (subprocesses) on Redis, sharing the test database with the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_url() -> str:
    url = os.environ.get("CNIMGR_TEST_REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.fail("Integration tests need Redis: run them with `bash scripts/test.sh` (starts one) or set "
                    "CNIMGR_TEST_REDIS_URL=redis://127.0.0.1:6379/0 (apt-get install redis-server).")  # fmt: skip
    return url


class WorkerProcess:
    def __init__(self, env: dict[str, str], name: str):
        self.env, self.name = env, name
        self.proc: subprocess.Popen | None = None
        self.log = Path(env["CNIMGR_DATA_DIR"]) / f"{name}.log"

    def start(self) -> WorkerProcess:
        cmd = [sys.executable, "-m", "celery", "-A", "cnimgr", "worker", "--pool", "threads", "-c", "2",
               "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)
        raise RuntimeError(f"celery worker did not become ready: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: the way a worker dies when its machine does."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_env(django_db_setup, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        DJANGO_SETTINGS_MODULE="cnimgr.settings.test",
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=redis_url(),
        CNIMGR_DATA_DIR=str(Path(connection.settings_dict["NAME"]).parent)
        if connection.settings_dict["ENGINE"].endswith("sqlite3") else str(tmp_path),
    )  # fmt: skip
    # keys must match the test process so the worker can decrypt credentials
    from django.conf import settings

    env["CNIMGR_ENCRYPTION_KEYS"] = ",".join(settings.ENCRYPTION_KEYS)
    env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY
    env["CNIMGR_LEASE_SECONDS"] = str(settings.CNIMGR_LEASE_SECONDS)
    return env


@pytest.fixture
def celery_worker_process(worker_env):
    """Start real Celery worker subprocesses; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start(name: str = "w1") -> WorkerProcess:
        worker = WorkerProcess(worker_env, f"{name}-{os.getpid()}").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(predicate, timeout: float = 60, interval: float = 0.3, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
