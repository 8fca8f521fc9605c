"""Shared plumbing: a throw-away Django database, timers, statistics, machine info, result files.

Every benchmark module has a ``run(quick: bool) -> Report`` function and can be run on its own
(``python -m benchmarks.audit_append --quick``); ``python -m benchmarks`` runs them all, one process each.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

if str(ROOT) not in sys.path:  # allow `python benchmarks/<name>.py` as well as `python -m benchmarks.<name>`
    sys.path.insert(0, str(ROOT))


# --- Django --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def django_env() -> Iterator[Path]:
    """Django with ``cnimgr.settings.test`` on a fresh, migrated database in a temporary data folder.

    SQLite by default (a file in the temporary folder). With ``DATABASE_URL`` set, Django's test-database machinery
    creates and afterwards drops a separate ``test_<name>`` database, so the configured database is never touched.
    """
    tmp = Path(tempfile.mkdtemp(prefix="cnimgr-bench-"))
    os.environ["CNIMGR_DATA_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cnimgr.settings.test"
    os.environ.setdefault("CNIMGR_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # The test Client sends Host: testserver. (setup_test_environment() would also do this, but it instruments
    # template rendering for the test runner, which would distort page timings.)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)  # runs `migrate`
    try:
        yield tmp
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)


def database_info() -> dict[str, str]:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT version()")
            version = str(cursor.fetchone()[0])
    return {"vendor": connection.vendor, "version": version}


# --- timing --------------------------------------------------------------------------------------------------

clock = time.perf_counter


def time_calls(fn: Callable[[int], Any], n: int, start: int = 0) -> list[float]:
    """Call ``fn(i)`` n times; seconds per call."""
    out = []
    for i in range(start, start + n):
        t0 = clock()
        fn(i)
        out.append(clock() - t0)
    return out


def interleaved(subjects: dict[str, Callable[[int], Any]], rounds: int, per_round: int) -> dict[str, list[float]]:
    """Run the subjects in alternating blocks (A B, then B A, ...) so drift and noisy neighbours hit both alike.

    ``fn(i)`` gets a running index unique per subject. Returns seconds per call, per subject.
    """
    names = list(subjects)
    samples: dict[str, list[float]] = {name: [] for name in names}
    counters = dict.fromkeys(names, 0)
    for r in range(rounds):
        order = names if r % 2 == 0 else list(reversed(names))
        for name in order:
            gc.collect()
            samples[name] += time_calls(subjects[name], per_round, counters[name])
            counters[name] += per_round
    return samples


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "mean": statistics.fmean(samples),
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "min": min(samples),
        "stdev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
    }


def fmt_seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def fmt_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)


# --- machine -------------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_total() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return fmt_bytes(int(line.split()[1]) * 1024)
    return "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    import django

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory": _memory_total(),
        "django": django.get_version(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
    with contextlib.suppress(OSError):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(Exception):
        import yaml

        info["pyyaml_libyaml"] = bool(yaml.__with_libyaml__)
    return info


# --- results -------------------------------------------------------------------------------------------------

COMPARISONS = {
    "<=": lambda measured, target: measured <= target,
    ">=": lambda measured, target: measured >= target,
    "==": lambda measured, target: measured == target,
    # "close to": within 25 % of the target (used for "scales linearly").
    "~": lambda measured, target: abs(measured - target) <= 0.25 * abs(target),
}


@dataclass
class Report:
    name: str
    quick: bool
    parameters: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    started: float = field(default_factory=clock)

    def measure(self, key: str, samples: list[float] | None = None, **values: Any) -> dict[str, Any]:
        entry = {**(summarize(samples) if samples else {}), **values}
        self.measurements[key] = entry
        return entry

    def row(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def check(self, name: str, measured: float, comparison: str, target: float, *, unit: str = "x",
              target_text: str = "", note: str = "") -> bool:  # fmt: skip
        met = COMPARISONS[comparison](measured, target)
        self.checks.append({
            "name": name, "measured": measured, "comparison": comparison, "target": target, "unit": unit,
            "target_text": target_text or f"{comparison} {target:g}{unit}", "met": met, "note": note,
        })  # fmt: skip
        return met

    def chart(self, title: str, unit: str, bars: list[tuple[str, float]], *, target: float | None = None,
              target_label: str = "") -> None:  # fmt: skip
        self.charts.append({"title": title, "unit": unit, "bars": [list(b) for b in bars], "target": target,
                            "target_label": target_label})  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quick": self.quick,
            "duration_seconds": round(clock() - self.started, 2),
            "machine": machine_info(),
            "database": _safe(database_info),
            "parameters": self.parameters,
            "measurements": self.measurements,
            "checks": self.checks,
            "findings": self.findings,
            "charts": self.charts,
            "table": self.rows,
        }

    def write(self) -> Path:
        from benchmarks.svg import report_svg

        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        data = self.as_dict()
        path = RESULTS_DIR / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        tmp.replace(path)
        if self.charts:
            (RESULTS_DIR / f"{self.name}.svg").write_text(report_svg(data))
        return path

    def print(self) -> None:
        mode = " (quick)" if self.quick else ""
        print(f"\n== {self.name}{mode} ==")
        if self.rows:
            print_table(["measurement", "value", "baseline", "ratio"], self.rows)
        for c in self.checks:
            status = "MET" if c["met"] else "MISSED"
            print(f"  [{status}] {c['name']}: {c['measured']:.3g}{c['unit']} (target {c['target_text']})"
                  + (f" - {c['note']}" if c["note"] else ""))  # fmt: skip
        for finding in self.findings:
            print(f"  finding: {finding}")


def _safe(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - machine info must never break a run
        return {"error": type(exc).__name__}


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) if i < len(r) else 0 for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        cells = [*r, *[""] * (len(headers) - len(r))]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def main_for(name: str, run: Callable[[bool], Report]) -> int:
    """Entry point of a single benchmark module."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run, noisier numbers)")
    args = parser.parse_args()
    with django_env():
        report = run(args.quick)
        report.print()
        path = report.write()
    print(f"  wrote {path.relative_to(ROOT)}")
    return 0
