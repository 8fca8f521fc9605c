"""Child processes that are started in their own process group and stopped by their own id, never by name.

Every process the test bed starts goes through :class:`ManagedProcess`. Attached processes (the default) are
registered in a module-level registry that an ``atexit`` hook empties, and a watchdog process (see
:mod:`testbed.watchdog`) kills them if the Python process dies without running ``atexit`` (SIGKILL, a test-runner
timeout). Detached processes (``python -m testbed up``) are recorded in ``fleet.json`` and stopped by
``python -m testbed down``, which checks each pid's start time so a recycled pid is never killed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STOP_TIMEOUT_SECONDS = 10.0

_registry: set[ManagedProcess] = set()
_registry_lock = threading.Lock()


def proc_start_time(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/PID/stat), or None if it is gone.

    A pid plus its start time identifies one process for good; the pid alone may be reused after it exits.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def proc_rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass(eq=False)
class ManagedProcess:
    """One long-running binary of the test bed (etcd, kube-apiserver, ...)."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    pid: int | None = None
    start_time: int | None = None
    detached: bool = False
    # Attached processes also leave "<pid> <start time>" in pid_dir for the watchdog (see testbed.watchdog).
    pid_dir: Path | None = None
    _popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        if self.running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(self.env or {})
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start {time.strftime('%Y-%m-%dT%H:%M:%S')}: {' '.join(self.argv)}\n".encode())
            log.flush()
            # start_new_session: own session and process group (pgid == pid), so a terminal's Ctrl-C does not
            # reach it directly and stop() can signal the whole group, including any grandchildren.
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        self.pid = self._popen.pid
        self.start_time = proc_start_time(self.pid)
        if not self.detached:
            with _registry_lock:
                _registry.add(self)
            if self.pid_dir is not None:
                self.pid_dir.mkdir(parents=True, exist_ok=True)
                self._pid_file().write_text(f"{self.pid} {self.start_time}\n")

    def running(self) -> bool:
        if self.pid is None:
            return False
        if self._popen is not None:
            return self._popen.poll() is None
        # A process from a state file: alive only if the pid still belongs to the process we started.
        now = proc_start_time(self.pid)
        return now is not None and now == self.start_time and not _is_zombie(self.pid)

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM the process group, wait, then SIGKILL it. Safe to call twice."""
        try:
            if self.pid is None or not self.running():
                return
            pgid = self.pid  # start_new_session made the process its group leader
            _signal_group(pgid, signal.SIGTERM)
            if not self._wait(timeout):
                _signal_group(pgid, signal.SIGKILL)
                self._wait(5.0)
        finally:
            with _registry_lock:
                _registry.discard(self)
            if self.pid_dir is not None:
                self._pid_file().unlink(missing_ok=True)
            if self._popen is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._popen.wait(timeout=0)

    def _pid_file(self) -> Path:
        assert self.pid_dir is not None
        return self.pid_dir / f"{self.name}.pid"

    def _wait(self, timeout: float) -> bool:
        if self._popen is not None:
            try:
                self._popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return True
            time.sleep(0.05)
        return False

    def rss_bytes(self) -> int:
        return proc_rss_bytes(self.pid) if self.pid and self.running() else 0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def to_state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "argv": self.argv,
            "log_path": str(self.log_path),
            "env": self.env,
            "pid": self.pid,
            "start_time": self.start_time,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ManagedProcess:
        return cls(
            name=state["name"],
            argv=list(state["argv"]),
            log_path=Path(state["log_path"]),
            env=state.get("env"),
            pid=state.get("pid"),
            start_time=state.get("start_time"),
            detached=True,
        )


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def registered() -> list[ManagedProcess]:
    with _registry_lock:
        return list(_registry)


def stop_all_registered() -> None:
    """Stop every attached process still running (the atexit hook)."""
    procs = registered()
    for proc in procs:
        if proc.pid is not None and proc.running():
            _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for proc in procs:
        proc._wait(max(0.1, deadline - time.monotonic()))
        proc.stop(timeout=0.1)


atexit.register(stop_all_registered)


class PortAllocator:
    """Free TCP ports on 127.0.0.1, never handing out the same port twice in this process.

    A port is free when we could bind it; between that check and the child's own bind, the kernel could give
    the port to an outgoing connection if it lay in the ephemeral range. So ports come from below that range
    (ip_local_port_range), where the kernel never picks on its own, chosen at random to keep concurrent fleets
    in other processes apart.
    """

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._lock = threading.Lock()
        self._random = random.Random()

    def reserve(self, port: int) -> None:
        with self._lock:
            self._used.add(port)

    def allocate(self) -> int:
        low, high = _non_ephemeral_range()
        with self._lock:
            for _ in range(200):
                port = self._random.randint(low, high)
                if port not in self._used and _bindable(port):
                    self._used.add(port)
                    return port
        raise RuntimeError(f"no free port on 127.0.0.1 in {low}-{high}")


def _non_ephemeral_range() -> tuple[int, int]:
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    if ephemeral_low > 12000:
        return 10000, ephemeral_low - 1
    return 49152, 65535  # unusual kernel setting; the IANA dynamic range is the next best guess


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


PORTS = PortAllocator()


class WaitAborted(RuntimeError):
    """Raised by a polled predicate when waiting longer cannot help (e.g. the process died)."""


def wait_until(predicate: Any, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll ``predicate()`` until it returns a truthy value; raise TimeoutError naming ``what``.

    Other exceptions from the predicate count as "not yet" (the server may still be starting), except
    :class:`WaitAborted`, which ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except WaitAborted:
            raise
        except Exception as exc:  # noqa: BLE001 - polling: remember the last failure for the timeout message
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)
