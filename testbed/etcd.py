"""The etcd the fleet's API servers share (each cluster under its own key prefix)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from testbed.processes import PORTS, ManagedProcess, WaitAborted, wait_until

ETCD_READY_TIMEOUT = 60.0


def etcd_process(bin_path: Path, workdir: Path, *, detached: bool, pid_dir: Path | None) -> tuple[ManagedProcess, str]:
    """Prepare the etcd process; returns it and its client URL."""
    client_port, peer_port = PORTS.allocate(), PORTS.allocate()
    client_url = f"http://127.0.0.1:{client_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    argv = [
        str(bin_path),
        "--name=testbed",
        f"--data-dir={workdir / 'etcd-data'}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=testbed={peer_url}",
        # Test data: durability is worthless here, fsync latency is not (envtest does the same).
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=2147483648",
        # Keep the history short; the API servers also compact every 5 minutes.
        "--auto-compaction-mode=revision",
        "--auto-compaction-retention=1000",
        "--log-level=warn",
    ]
    proc = ManagedProcess(
        name="etcd", argv=argv, log_path=workdir / "logs" / "etcd.log", detached=detached, pid_dir=pid_dir
    )
    return proc, client_url


def wait_etcd_healthy(proc: ManagedProcess, client_url: str, timeout: float = ETCD_READY_TIMEOUT) -> None:
    def healthy() -> bool:
        if not proc.running():
            raise WaitAborted(f"etcd exited with code {proc.exit_code()}\n{proc.log_tail()}")
        with urllib.request.urlopen(f"{client_url}/health", timeout=2) as resp:  # noqa: S310 - fixed http URL
            return b'"health":"true"' in resp.read()

    wait_until(healthy, timeout, interval=0.1, what="etcd /health")
