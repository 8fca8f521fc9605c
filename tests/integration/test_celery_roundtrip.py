"""Runs through a real Celery worker on Redis: the happy path, a killed worker and a lost broker message."""

from __future__ import annotations

import socket
import threading

import pytest

from audit.models import AuditEvent
from audit.services import verify_chain
from operations import services
from operations.models import Run, RunState
from tests.factories import ClusterFactory, UserFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class SilentServer:
    """Accepts TCP connections and never answers: an API server behind a black hole."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_run_round_trip_through_a_real_worker(client_as, celery_worker_process):
    celery_worker_process()
    cluster = ClusterFactory(server=f"https://127.0.0.1:{closed_port()}")
    client = client_as("operator")
    response = client.post("/api/v1/runs/", {"cluster": cluster.name, "kind": "connectivity"}, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/v1/runs/{response.json()['id']}/")
    run_id = response.json()["id"]

    run = wait_for(lambda: Run.objects.filter(pk=run_id, state__in=RunState.FINISHED).first(), 90, message="run end")
    assert run.state == RunState.FAILED, (run.state, run.error, run.traceback)
    assert "reach" in run.error and run.hint
    steps = list(run.events.values_list("step", flat=True))
    assert steps[0] == "start" and steps[-1] == "end"
    actions = list(AuditEvent.objects.filter(object_id=str(run_id)).order_by("id").values_list("action", flat=True))
    assert actions == ["run.create", "run.start", "run.failed"]
    assert verify_chain()[0]


def test_killed_worker_leaves_a_record_and_the_run_is_closed(celery_worker_process, settings):
    server = SilentServer()
    try:
        worker = celery_worker_process("doomed")
        cluster = ClusterFactory(server=f"https://127.0.0.1:{server.port}")
        run = services.start_run(cluster=cluster, kind="connectivity", actor=UserFactory(role="operator"))
        wait_for(lambda: Run.objects.filter(pk=run.pk, state=RunState.RUNNING).exists(), 60, message="running")
        worker.kill()
        settings.CNIMGR_LEASE_SECONDS = 1
        wait_for(lambda: services.reconcile()["lost"] or Run.objects.get(pk=run.pk).is_finished, 30,
                 interval=1, message="reconciler to notice the dead worker")  # fmt: skip
        run.refresh_from_db()
        assert run.state == RunState.ERRORED
        assert "stopped responding" in run.error and "retry" in run.hint
        assert run.events.filter(step="reconcile").exists()
        assert AuditEvent.objects.filter(object_id=str(run.pk), action="run.errored").exists()
        assert verify_chain()[0]
    finally:
        server.close()


def test_lost_broker_message_is_resent_by_the_reconciler(celery_worker_process, settings, monkeypatch):
    cluster = ClusterFactory(server=f"https://127.0.0.1:{closed_port()}")
    monkeypatch.setattr("operations.services.enqueue", lambda run: None)  # the message never reaches the broker
    run = services.start_run(cluster=cluster, kind="connectivity", actor=UserFactory(role="operator"))
    monkeypatch.undo()
    celery_worker_process()
    settings.CNIMGR_QUEUED_RESEND_SECONDS = 0
    assert services.reconcile()["resent"] == 1
    run = wait_for(lambda: Run.objects.filter(pk=run.pk, state__in=RunState.FINISHED).first(), 90, message="run end")
    assert run.state == RunState.FAILED


def point_app_at(app, url: str) -> None:
    """Switch this process's publisher to another broker (connection pools are cached per app)."""
    import os

    from kombu import pools

    # Celery's settings prefer the CELERY_BROKER_URL environment variable (set in CI) over app.conf.
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    pools.reset()  # kombu keeps producer pools per broker URL, process-wide
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def restore_broker_env(monkeypatch):
    import os

    monkeypatch.setenv("CELERY_BROKER_URL", os.environ.get("CELERY_BROKER_URL", ""))  # undone after the test
    yield
    if not os.environ.get("CELERY_BROKER_URL"):
        os.environ.pop("CELERY_BROKER_URL", None)


def test_broker_outage_keeps_the_run_and_it_runs_after_restart(client_as, worker_env, tmp_path, settings,
                                                               restore_broker_env):
    """Redis goes down: the API still answers 202, the run waits, and runs once Redis is back."""
    import subprocess

    from django.utils import timezone

    from cnimgr.celery import app

    port = closed_port()
    redis_cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(tmp_path)]  # fmt: skip
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_URL = url
    point_app_at(app, url)
    from tests.integration.conftest import WorkerProcess

    worker = None
    try:
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, message="redis up")
        worker = WorkerProcess({**worker_env, "CELERY_BROKER_URL": url}, f"outage-{port}").start()
        redis.terminate()
        redis.wait(10)
        cluster = ClusterFactory(server=f"https://127.0.0.1:{closed_port()}")
        response = client_as("operator").post("/api/v1/runs/", {"cluster": cluster.name, "kind": "connectivity"},
                                              format="json")  # fmt: skip
        assert response.status_code == 202
        run = Run.objects.get(pk=response.json()["id"])
        assert run.state == RunState.QUEUED and run.enqueued_at is None
        assert run.events.filter(step="queue", level="warning").exists()

        redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, message="redis back")
        settings.CNIMGR_QUEUED_RESEND_SECONDS = 0
        wait_for(lambda: services.reconcile()["resent"], 30, interval=1, message="re-send after the outage")
        run = wait_for(lambda: Run.objects.filter(pk=run.pk, state__in=RunState.FINISHED).first(), 90,
                       message="run end after the outage")  # fmt: skip
        assert run.state == RunState.FAILED and run.enqueued_at <= timezone.now()
    finally:
        if worker:
            worker.stop()
        redis.terminate()
        settings.CELERY_BROKER_URL = worker_env["CELERY_BROKER_URL"]
        point_app_at(app, worker_env["CELERY_BROKER_URL"])


def test_embedded_filesystem_broker_round_trip(worker_env, tmp_path, settings, restore_broker_env):
    """The one-command mode's broker (a folder, no services) carries a run to a real worker and back."""
    from cnimgr.celery import app
    from cnimgr.settings.embedded import filesystem_broker
    from tests.integration.conftest import WorkerProcess

    url, options = filesystem_broker(tmp_path)
    old_options = app.conf.broker_transport_options
    worker = None
    try:
        app.conf.broker_transport_options = options
        point_app_at(app, url)
        env = {**worker_env, "CELERY_BROKER_URL": url, "CNIMGR_TEST_REDIS_URL": "", "CNIMGR_DATA_DIR": str(tmp_path)}
        if worker_env["DATABASE_URL"].startswith("sqlite"):
            env["CNIMGR_DATA_DIR"] = worker_env["CNIMGR_DATA_DIR"]
            url, options = filesystem_broker(__import__("pathlib").Path(env["CNIMGR_DATA_DIR"]))
            app.conf.broker_transport_options = options
            point_app_at(app, url)
        worker = WorkerProcess(env, f"fs-{closed_port()}").start()
        cluster = ClusterFactory(server=f"https://127.0.0.1:{closed_port()}")
        run = services.start_run(cluster=cluster, kind="connectivity", actor=UserFactory(role="operator"))
        run = wait_for(lambda: Run.objects.filter(pk=run.pk, state__in=RunState.FINISHED).first(), 90,
                       message="run end over the filesystem broker")  # fmt: skip
        assert run.state == RunState.FAILED and "reach" in run.error
    finally:
        if worker:
            worker.stop()
        app.conf.broker_transport_options = old_options
        point_app_at(app, worker_env["CELERY_BROKER_URL"])
