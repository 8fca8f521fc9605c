"""Measure the test bed: ``python -m testbed.bench [--clusters 3] [--nodes 4] [--rounds 1]``.

Prints, per round: a single cluster's start time, serial and parallel start of N clusters, idle RSS per
cluster (sum of its processes) and of the shared etcd. The numbers in docs/testbed.md come from this script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from testbed.fleet import Fleet

MIB = 1024 * 1024


def _load() -> str:
    return "load avg " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _start(clusters: int, nodes: int, parallel: bool) -> tuple[float, Fleet]:
    t0 = time.monotonic()
    fleet = Fleet.start(clusters=clusters, nodes=nodes, parallel=parallel)
    return time.monotonic() - t0, fleet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.bench")
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds idle before reading RSS")
    args = parser.parse_args(argv)

    single, serial, parallel = [], [], []
    for _ in range(args.rounds):
        seconds, fleet = _start(1, args.nodes, parallel=False)
        fleet.stop()
        single.append(seconds)
        print(f"1 cluster x {args.nodes} nodes: {seconds:.1f}s ({_load()})", flush=True)

        seconds, fleet = _start(args.clusters, args.nodes, parallel=False)
        fleet.stop()
        serial.append(seconds)
        print(f"{args.clusters} clusters serial: {seconds:.1f}s ({_load()})", flush=True)

        seconds, fleet = _start(args.clusters, args.nodes, parallel=True)
        parallel.append(seconds)
        print(f"{args.clusters} clusters parallel: {seconds:.1f}s ({_load()})", flush=True)
        time.sleep(args.settle)  # RSS after start-up garbage is collected, as in a test session
        rss = fleet.rss_bytes()
        print(f"  etcd (shared): {rss.pop('etcd') / MIB:.0f} MiB")
        for cluster in fleet.clusters:
            parts = {k.split("/", 1)[1]: v for k, v in rss.items() if k.startswith(cluster.name + "/")}
            detail = ", ".join(f"{k} {v / MIB:.0f}" for k, v in parts.items())
            print(f"  {cluster.name}: {sum(parts.values()) / MIB:.0f} MiB ({detail})")
        fleet.stop()

    if args.rounds > 1:
        for label, values in (("single", single), ("serial", serial), ("parallel", parallel)):
            print(f"{label}: median {statistics.median(values):.1f}s, min {min(values):.1f}s, max {max(values):.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
