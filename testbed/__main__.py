"""Command line: ``python -m testbed up|down|status``.

``up`` starts a detached fleet and returns; its processes keep running until ``down``. State (pids, ports,
kubeconfigs) lives in the work dir: ``--workdir``, else ``$CNIMGR_TESTBED_WORKDIR``, else
``~/.local/share/cnimgr/testbed``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubernetes import client as k8s

from testbed.binaries import BinariesMissing
from testbed.cluster import USERS
from testbed.fleet import Fleet, FleetAlreadyRunning, default_workdir

MIB = 1024 * 1024


def _workdir(args: argparse.Namespace) -> Path:
    return Path(args.workdir).expanduser().resolve() if args.workdir else default_workdir()


def cmd_up(args: argparse.Namespace) -> int:
    workdir = _workdir(args)
    try:
        fleet = Fleet.start(
            clusters=args.clusters,
            nodes=args.nodes,
            workdir=workdir,
            kube_apiserver=args.kube_apiserver,
            parallel=not args.serial,
            detach=True,
        )
    except (BinariesMissing, FleetAlreadyRunning) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"fleet up in {fleet.timings['total']:.1f}s: {len(fleet.clusters)} clusters x {args.nodes} nodes")
    print(f"state: {fleet.state_path}")
    for cluster in fleet.clusters:
        print(f"  {cluster.name}  {cluster.server}")
        for user in USERS:
            print(f"    {user:7} {cluster.kubeconfig_path(user)}")
    print("stop with: python -m testbed down" + (f" --workdir {workdir}" if args.workdir else ""))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    try:
        fleet = Fleet.load(_workdir(args))
    except FileNotFoundError as exc:
        print(f"nothing to stop: {exc}", file=sys.stderr)
        return 0
    fleet.stop()
    print(f"stopped fleet in {fleet.workdir}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    try:
        fleet = Fleet.load(_workdir(args))
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    rss = fleet.rss_bytes()
    etcd_state = "running" if fleet.etcd.running() else "STOPPED"
    print(f"fleet {fleet.workdir}\n  etcd {fleet.etcd_url} {etcd_state} rss={rss['etcd'] / MIB:.0f}MiB")
    healthy = fleet.etcd.running()
    for cluster in fleet.clusters:
        procs = cluster.running()
        down = [name for name, ok in procs.items() if not ok]
        ready_nodes = "?"
        if cluster.readyz():
            with cluster.api_client() as api:
                nodes = k8s.CoreV1Api(api).list_node(_request_timeout=5).items
            ready = sum(
                1 for n in nodes for c in (n.status.conditions or []) if c.type == "Ready" and c.status == "True"
            )
            ready_nodes = f"{ready}/{len(nodes)}"
        else:
            healthy = False
        total = sum(cluster.rss_bytes().values()) / MIB
        state = "ok" if not down else "DOWN: " + ",".join(down)
        healthy = healthy and not down
        print(f"  {cluster.name} {cluster.server} {state} nodes-ready={ready_nodes} rss={total:.0f}MiB")
        print(f"    kubeconfig: {cluster.kubeconfig_path('admin')}")
        faults = cluster.faults
        if faults.not_ready_nodes or faults.held_pods:
            print(f"    faults: not-ready={faults.not_ready_nodes} held={[h.key for h in faults.held_pods]}")
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a detached fleet")
    up.add_argument("--clusters", type=int, default=3)
    up.add_argument("--nodes", type=int, default=4, help="fake nodes per cluster, one of them control-plane")
    up.add_argument("--kube-apiserver", default="kube-apiserver", help="API server binary name in the bin dir")
    up.add_argument("--serial", action="store_true", help="start clusters one after another")
    for p in (up, sub.add_parser("down", help="stop the fleet"), sub.add_parser("status", help="show the fleet")):
        p.add_argument("--workdir", help="state directory (default: $CNIMGR_TESTBED_WORKDIR or ~/.local/share/...)")
    args = parser.parse_args(argv)
    return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
