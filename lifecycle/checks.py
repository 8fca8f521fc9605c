"""A small `linkerd check`-style runner: named checks in categories, fatal/retry semantics, pass/warn/fail.

Semantics copied from Linkerd (facts §3.1): a failing *fatal* check stops the run; warnings never fail it; a
*retryable* check is repeated every few seconds until the wait budget runs out; a check that does not apply
returns None and is not reported at all (Linkerd does not print skipped checks either).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lifecycle.errors import ClusterError
from lifecycle.kube import ClusterConnection
from lifecycle.reporting import Reporter
from lifecycle.versions import Release

Status = Literal["pass", "warn", "fail"]
HINT_BASE = "https://linkerd.io/2/checks/#"
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    category: str
    name: str
    status: Status
    message: str = ""
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"category": self.category, "name": self.name, "status": self.status, "message": self.message,
                "hint": self.hint}


@dataclass
class CheckContext:
    """What the checks look at. ``cache`` lets several checks share one read of the same object."""

    conn: ClusterConnection
    release: Release | None = None
    cni_namespace: str = "linkerd-cni"
    control_plane_namespace: str = "linkerd"
    expected_image: str | None = None  # "name:tag" the DaemonSet should run
    cache: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]


@dataclass(frozen=True)
class Check:
    category: str
    name: str
    run: Callable[[CheckContext], Outcome | None]
    fatal: bool = False
    warning_only: bool = False
    retry: bool = False
    anchor: str = ""

    def result(self, outcome: Outcome) -> CheckResult:
        if outcome.ok:
            return CheckResult(self.category, self.name, "pass", outcome.message)
        hint = outcome.hint or (HINT_BASE + self.anchor if self.anchor else "")
        return CheckResult(self.category, self.name, "warn" if self.warning_only else "fail", outcome.message, hint)


def _evaluate(check: Check, ctx: CheckContext) -> Outcome | None:
    try:
        return check.run(ctx)
    except ClusterError as exc:  # the cluster refused to answer: that is this check's failure
        return Outcome(False, str(exc), exc.hint)


def run_checks(checks: list[Check], ctx: CheckContext, reporter: Reporter, *, wait_seconds: float = 0,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> list[CheckResult]:
    deadline = clock() + wait_seconds
    results: list[CheckResult] = []
    for index, check in enumerate(checks):
        reporter.checkpoint()
        outcome = _evaluate(check, ctx)
        while outcome is not None and not outcome.ok and check.retry and clock() + RETRY_SECONDS <= deadline:
            reporter.event(f"{check.name}: {outcome.message} (retrying)", step="check", level="debug")
            sleep(RETRY_SECONDS)
            reporter.checkpoint()
            ctx.cache.clear()  # re-read the cluster on every retry
            outcome = _evaluate(check, ctx)
        if outcome is None:
            continue
        result = check.result(outcome)
        results.append(result)
        level = {"pass": "info", "warn": "warning", "fail": "error"}[result.status]
        symbol = {"pass": "√", "warn": "‼", "fail": "×"}[result.status]
        text = f"{symbol} {check.category}: {check.name}" + (f": {result.message}" if result.message else "")
        reporter.event(text, step="check", level=level, data=result.as_dict())
        if result.status == "fail" and check.fatal:
            skipped = [c.name for c in checks[index + 1:]]
            if skipped:
                reporter.event(f"fatal check failed; not run: {', '.join(skipped)}", step="check", level="warning")
            break
    return results


def summary(results: list[CheckResult]) -> dict[str, Any]:
    failed = [r.name for r in results if r.status == "fail"]
    return {"success": not failed, "failed": failed, "warnings": [r.name for r in results if r.status == "warn"],
            "results": [r.as_dict() for r in results]}
