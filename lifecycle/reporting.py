"""How the engine reports progress, output and cancellation to whoever drives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Level = Literal["debug", "info", "warning", "error"]


class Cancelled(Exception):
    """Raised by :meth:`Reporter.checkpoint` when the operation was asked to stop."""


class OperationFailed(Exception):
    """The cluster or a check said no. The run ends *failed* (not *errored*)."""

    def __init__(self, message: str, *, hint: str = "", data: dict[str, Any] | None = None):
        super().__init__(message)
        self.hint = hint
        self.data = data or {}


class Reporter(Protocol):
    def event(self, message: str, *, level: Level = "info", step: str = "", data: dict[str, Any] | None = None) -> None:
        """Append one line of output. ``data`` must be JSON-serialisable and must not hold secrets."""

    def progress(self, done: int, total: int, *, step: str = "") -> None:
        """Report progress of the whole operation (throttled by the implementation)."""

    def checkpoint(self) -> None:
        """Called between steps: raises :class:`Cancelled` if cancellation was requested, renews leases."""


@dataclass
class MemoryReporter:
    """A reporter that keeps everything in memory: for tests and for command-line use of the engine."""

    events: list[dict[str, Any]] = field(default_factory=list)
    last_progress: tuple[int, int] = (0, 0)
    cancel_requested: bool = False

    def event(self, message: str, *, level: Level = "info", step: str = "", data: dict[str, Any] | None = None) -> None:
        self.events.append({"message": message, "level": level, "step": step, "data": data or {}})

    def progress(self, done: int, total: int, *, step: str = "") -> None:
        self.last_progress = (done, total)

    def checkpoint(self) -> None:
        if self.cancel_requested:
            raise Cancelled("cancellation requested")

    def messages(self, step: str | None = None) -> list[str]:
        return [e["message"] for e in self.events if step is None or e["step"] == step]
