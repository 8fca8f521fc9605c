"""Run every benchmark, one fresh process (and throw-away database) each, one after the other; then write the
summary chart, the summary table and the results section of benchmarks/README.md.

    .venv/bin/python -m benchmarks            # full set (about 2 minutes on 2 cores)
    .venv/bin/python -m benchmarks --quick    # smoke run
    .venv/bin/python -m benchmarks fleet_page audit_append
    .venv/bin/python -m benchmarks --report-only   # redraw charts/summary/README from results/*.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.svg import report_svg, summary_svg  # noqa: E402

BENCHMARKS = ["audit_append", "run_events", "kubeconfig_import", "cni_render", "fleet_page"]
README = HERE / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.3g}x" if value < 10 else f"{value:.0f}x"
    return f"{value:g}{unit}"


def summary_markdown(results: list[dict]) -> str:
    if not results:
        return "No results yet: run `.venv/bin/python -m benchmarks`.\n"
    first = results[0]
    m, db = first["machine"], first["database"]
    quick = any(r["quick"] for r in results)
    lines = [
        f"Run of {first['date']} on {m['cpus']} x {m['cpu']}, {m['memory']}, Python {m['python']}, Django "
        f"{m['django']}, {db.get('vendor')} {db.get('version')}, commit {m['git_commit']}"
        f"{' (with uncommitted changes)' if m.get('git_dirty') else ''}; load average at start "
        f"{', '.join(str(x) for x in m.get('load_average', []))}{'; **quick mode**' if quick else ''}.",
        "",
        "| Benchmark | Check | Target | Measured | Met |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        for c in r["checks"]:
            lines.append(f"| {r['name']} | {c['name']} | {c['target_text']} | {_fmt(c['measured'], c['unit'])} | "
                         f"{'yes' if c['met'] else '**no**'} |")  # fmt: skip
    for r in results:
        lines += ["", f"**{r['name']}** ({r['duration_seconds']} s)", "",
                  "| Measurement | Value | Baseline | Ratio |", "|---|---|---|---|"]  # fmt: skip
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in (row + [""] * 4)[:4]) + " |" for row in r["table"]]
        if r["findings"]:
            lines += [""] + [f"- {f}" for f in r["findings"]]
    return "\n".join(lines) + "\n"


def update_readme(markdown: str) -> None:
    if not README.exists():
        return
    text = README.read_text()
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{markdown}{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="fewer iterations: a smoke run, noisier numbers")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the results section of README.md")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing; redraw charts, summary and README results from results/*.json")  # fmt: skip
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = [] if args.report_only else (args.names or BENCHMARKS)
    failed = []
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for name in names:  # strictly one at a time: the machine is small and shared
        cmd = [sys.executable, "-m", f"benchmarks.{name}", *(["--quick"] if args.quick else [])]
        code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
        if code:
            failed.append(name)
            print(f"!! {name} exited with {code}", file=sys.stderr)
    results = []
    for name in BENCHMARKS:  # summarise everything on disk, in a fixed order
        path = HERE / "results" / f"{name}.json"
        if path.exists():
            results.append(json.loads(path.read_text()))
            if args.report_only and results[-1]["charts"]:
                (HERE / "results" / f"{name}.svg").write_text(report_svg(results[-1]))
    markdown = summary_markdown(results)
    (HERE / "results" / "summary.md").write_text(markdown)
    if results:
        (HERE / "results" / "summary.svg").write_text(summary_svg(results))
    if not args.no_readme and not failed:
        update_readme(markdown)
    missed = [f"{r['name']}: {c['name']}" for r in results for c in r["checks"] if not c["met"]]
    print(f"\n{len(names)} benchmark(s) in {time.perf_counter() - started:.0f} s; "
          f"{sum(len(r['checks']) for r in results) - len(missed)} checks met, {len(missed)} missed")  # fmt: skip
    for item in missed:
        print(f"  missed: {item}")
    # Missed targets are results, not errors: only a crashed benchmark makes the exit status non-zero.
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
