"""Errors the engine raises on purpose. Anything else escaping an operation is a bug."""

from __future__ import annotations

from typing import Any, Literal

from lifecycle.reporting import OperationFailed

ErrorKind = Literal[
    "unreachable", "tls", "unauthorized", "forbidden", "not-found", "conflict", "server-error", "invalid"
]


class InvalidParams(ValueError):
    """A parameter of an operation is wrong. ``field`` names it with a dotted path (``values.inboundProxyPort``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ClusterError(OperationFailed):
    """The cluster said no (or could not be asked). Subclasses OperationFailed so a run ends *failed*, not *errored*.

    The message is meant for the user and never contains credentials.
    """

    def __init__(self, kind: ErrorKind, message: str, *, hint: str = "", status: int | None = None,
                 data: dict[str, Any] | None = None):
        details: dict[str, Any] = {"kind": kind, **({"status": status} if status else {}), **(data or {})}
        super().__init__(message, hint=hint, data=details)
        self.kind = kind
        self.status = status

    def __repr__(self) -> str:
        return f"ClusterError(kind={self.kind!r}, message={str(self)!r})"
