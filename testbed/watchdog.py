"""Kill a fleet's processes when the Python process that started them dies without cleaning up.

``atexit`` does not run on SIGKILL, on an unhandled SIGTERM, or when a test runner is killed on timeout; without
this, a crashed test session would leave API servers running on the machine. The fleet starts one watchdog:

    python -m testbed.watchdog PARENT_PID PARENT_START_TIME PID_DIR

It polls once a second. When the parent is gone it SIGTERMs (then SIGKILLs) the process group of every
``PID_DIR/*.pid`` entry whose start time still matches, and exits. The fleet removes the watchdog itself on a
normal stop; a detached fleet (``python -m testbed up``) has no watchdog.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from testbed.processes import proc_start_time

POLL_SECONDS = 1.0
GRACE_SECONDS = 10.0


def _entries(pid_dir: Path) -> list[tuple[int, int | None]]:
    entries = []
    for pid_file in pid_dir.glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid_text, start_text = pid_file.read_text().split()
            entries.append((int(pid_text), None if start_text == "None" else int(start_text)))
    return entries


def _ours(pid: int, start_time: int | None) -> bool:
    return start_time is not None and proc_start_time(pid) == start_time


def kill_all(pid_dir: Path) -> None:
    victims = [(pid, st) for pid, st in _entries(pid_dir) if _ours(pid, st)]
    for pid, _ in victims:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_ours(pid, st) for pid, st in victims):
        time.sleep(0.1)
    for pid, st in victims:
        if _ours(pid, st):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    parent_pid, parent_start, pid_dir = int(argv[0]), int(argv[1]), Path(argv[2])
    # Our own SIGTERM (a normal fleet stop) just ends the watchdog.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while proc_start_time(parent_pid) == parent_start:
        time.sleep(POLL_SECONDS)
    kill_all(pid_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
