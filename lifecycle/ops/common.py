"""Shared pieces of the operation kinds: the spec type, parameter helpers and step bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lifecycle.checks import Check, CheckContext, run_checks, summary
from lifecycle.cni.validation import DNS1123_LABEL
from lifecycle.errors import InvalidParams
from lifecycle.kube import ClusterConnection
from lifecycle.reporting import OperationFailed, Reporter

Params = dict[str, Any]


@dataclass(frozen=True)
class OperationSpec:
    """One run kind. ``validate`` normalises params (InvalidParams names the field); ``run`` does the work and
    returns a JSON-serialisable summary without secrets. ``run`` raises OperationFailed when the cluster or a
    check says no; any other exception is a bug."""

    name: str
    mutating: bool
    description: str
    validate_fn: Callable[[Params], Params]
    run_fn: Callable[[ClusterConnection, Params, Reporter], dict[str, Any]]

    def validate(self, params: Params | None) -> Params:
        if params is not None and not isinstance(params, dict):
            raise InvalidParams("params", "must be a mapping")
        return self.validate_fn(dict(params or {}))

    def run(self, conn: ClusterConnection, params: Params | None, reporter: Reporter) -> dict[str, Any]:
        try:
            normalised = self.validate(params)
        except InvalidParams as exc:  # params changed since submission (or a catalogue rule): the run fails
            raise OperationFailed(str(exc), hint="Fix the parameters and submit the run again.",
                                  data={"field": exc.field}) from exc
        return self.run_fn(conn, normalised, reporter)


def refuse_unknown(params: Params, known: set[str]) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidParams(unknown[0], "unknown parameter; known: " + ", ".join(sorted(known)))


def namespace_param(params: Params, field: str, default: str) -> str:
    value = params.get(field) or default
    if not isinstance(value, str) or not DNS1123_LABEL.match(value) or len(value) > 63:
        raise InvalidParams(field, f"{value!r} is not a valid namespace name")
    return value


def seconds_param(params: Params, field: str, default: int, maximum: int = 3600) -> int:
    value = params.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= maximum:
        raise InvalidParams(field, f"must be a number of seconds between 0 and {maximum}")
    return int(value)


class Steps:
    """Announces each step: checkpoint (cancellation), whole-operation progress, and an event."""

    def __init__(self, reporter: Reporter, names: list[str]):
        self.reporter, self.names, self.done = reporter, names, 0

    def start(self, name: str, message: str) -> None:
        self.reporter.checkpoint()
        self.reporter.progress(self.done, len(self.names), step=name)
        self.reporter.event(message, step=name)

    def finish(self) -> None:
        self.done += 1
        self.reporter.progress(self.done, len(self.names))


def checks_or_fail(checks: list[Check], ctx: CheckContext, reporter: Reporter, *, wait_seconds: float,
                   what: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run checks; OperationFailed (carrying every result) if any failed."""
    outcome = summary(run_checks(checks, ctx, reporter, wait_seconds=wait_seconds))
    if not outcome["success"]:
        first = next(r for r in outcome["results"] if r["status"] == "fail")
        raise OperationFailed(f"{what}: {len(outcome['failed'])} check(s) failed, first: {first['name']}"
                              + (f" ({first['message']})" if first["message"] else ""),
                              hint=first["hint"], data={"checks": outcome, **(extra or {})})
    return outcome
