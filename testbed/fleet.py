"""A fleet of test clusters sharing one etcd, started and stopped as a unit."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from testbed.binaries import Binaries, find_binaries
from testbed.cluster import TestCluster
from testbed.etcd import etcd_process, wait_etcd_healthy
from testbed.processes import ManagedProcess, proc_start_time

STATE_FILE = "fleet.json"
STATE_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parent.parent


class FleetAlreadyRunning(RuntimeError):
    pass


def default_workdir() -> Path:
    env = os.environ.get("CNIMGR_TESTBED_WORKDIR")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "cnimgr" / "testbed"


class Fleet:
    """Clusters plus the shared etcd (and, when attached to this process, a watchdog)."""

    def __init__(
        self,
        *,
        workdir: Path,
        etcd: ManagedProcess,
        etcd_url: str,
        clusters: list[TestCluster],
        owns_workdir: bool = False,
        detached: bool = False,
        watchdog: ManagedProcess | None = None,
    ) -> None:
        self.workdir = workdir
        self.etcd = etcd
        self.etcd_url = etcd_url
        self.clusters = clusters
        self.owns_workdir = owns_workdir
        self.detached = detached
        self.watchdog = watchdog
        self.timings: dict[str, float] = {}
        self._stopped = False
        # Fault controls on different clusters may run in parallel threads; each saves the state file.
        self._state_lock = threading.Lock()
        for cluster in clusters:
            cluster.on_change = self.save_state
        if not detached:
            # Garbage collection of a forgotten Fleet stops it too (atexit covers interpreter exit).
            self._finalizer = weakref.finalize(self, _stop_processes, [*self._all_processes()])

    def __repr__(self) -> str:
        return f"Fleet(workdir={str(self.workdir)!r}, clusters={[c.name for c in self.clusters]})"

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cluster(self, name: str) -> TestCluster:
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise KeyError(name)

    # ------------------------------------------------------------------ start

    @classmethod
    def start(
        cls,
        clusters: int = 3,
        nodes: int = 4,
        workdir: str | Path | None = None,
        kube_apiserver: str | Sequence[str] = "kube-apiserver",
        *,
        parallel: bool = True,
        detach: bool = False,
        bins: Binaries | None = None,
        name_prefix: str = "cluster-",
    ) -> Fleet:
        """Start ``clusters`` clusters of ``nodes`` fake nodes each; return when all are Ready.

        ``kube_apiserver`` names the API server binary in the bin dir, for all clusters or one per cluster,
        e.g. ``["kube-apiserver", OLD_APISERVER]`` (``testbed.binaries.OLD_APISERVER``: a real v1.30 server;
        its cluster also gets the matching v1.30 scheduler). ``parallel`` launches all API servers at once.
        ``detach`` leaves the processes running when this Python process exits (``python -m testbed up``).
        """
        if clusters < 1:
            raise ValueError("clusters must be >= 1")
        apiservers = [kube_apiserver] * clusters if isinstance(kube_apiserver, str) else list(kube_apiserver)
        if len(apiservers) != clusters:
            raise ValueError(f"{len(apiservers)} kube_apiserver names for {clusters} clusters")
        bins = bins or find_binaries()
        for name in set(apiservers):
            bins.path(name)  # fail now, with the build hint, not in a thread later

        owns_workdir = workdir is None
        root = Path(tempfile.mkdtemp(prefix="cnimgr-testbed-")) if workdir is None else Path(workdir).expanduser()
        if not owns_workdir:
            _prepare_workdir(root)
        root = root.resolve()
        pid_dir = None if detach else root / "run"

        t0 = time.monotonic()
        watchdog = None if detach else _start_watchdog(root, pid_dir)
        etcd, etcd_url = etcd_process(bins.etcd, root, detached=detach, pid_dir=pid_dir)
        fleet = cls(
            workdir=root,
            etcd=etcd,
            etcd_url=etcd_url,
            clusters=[],
            owns_workdir=owns_workdir,
            detached=detach,
            watchdog=watchdog,
        )
        try:
            etcd.start()
            wait_etcd_healthy(etcd, etcd_url)
            for i in range(clusters):
                name = f"{name_prefix}{i + 1}"
                cluster = TestCluster.create(
                    name=name,
                    directory=root / "clusters" / name,
                    bins=bins,
                    etcd_url=etcd_url,
                    nodes=nodes,
                    kube_apiserver=apiservers[i],
                    detached=detach,
                    pid_dir=pid_dir,
                )
                cluster.on_change = fleet.save_state
                fleet.clusters.append(cluster)
            fleet.timings["etcd_and_pki"] = time.monotonic() - t0
            if parallel:
                for cluster in fleet.clusters:
                    cluster.launch_apiserver()
                with ThreadPoolExecutor(max_workers=clusters) as pool:
                    results = list(pool.map(lambda c: _finish_start(c, t0), fleet.clusters))
            else:
                results = []
                for cluster in fleet.clusters:
                    cluster.launch_apiserver()
                    results.append(_finish_start(cluster, t0))
            for cluster, timing in zip(fleet.clusters, results, strict=True):
                for key, value in timing.items():
                    fleet.timings[f"{cluster.name}.{key}"] = value
            fleet.timings["total"] = time.monotonic() - t0
        except BaseException:
            fleet._stop_all()
            if owns_workdir and os.environ.get("CNIMGR_TESTBED_KEEP") != "1":
                shutil.rmtree(root, ignore_errors=True)  # the error carries the log tail already
            raise
        if not detach:
            fleet._finalizer.detach()
            fleet._finalizer = weakref.finalize(fleet, _stop_processes, [*fleet._all_processes()])
        fleet.save_state()
        return fleet

    # ------------------------------------------------------------------ stop

    def stop(self) -> None:
        """Stop every process of the fleet (by pid) and delete the work dir if the fleet created it."""
        if self._stopped:
            return
        self._stop_all()
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            self.save_state()

    def _stop_all(self) -> None:
        self._stopped = True
        if self.clusters:
            with ThreadPoolExecutor(max_workers=len(self.clusters)) as pool:
                list(pool.map(lambda c: c.stop(), self.clusters))
        self.etcd.stop()
        if self.watchdog is not None:
            self.watchdog.stop()
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer.detach()

    def _all_processes(self) -> list[ManagedProcess]:
        procs = [p for c in self.clusters for p in c.processes.values()]
        procs.append(self.etcd)
        if self.watchdog is not None:
            procs.append(self.watchdog)
        return procs

    # ------------------------------------------------------------------ inspection

    def running(self) -> bool:
        return any(p.running() for p in self._all_processes())

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory per process, keyed ``etcd`` and ``<cluster>/<component>``."""
        usage = {"etcd": self.etcd.rss_bytes()}
        for cluster in self.clusters:
            for component, rss in cluster.rss_bytes().items():
                usage[f"{cluster.name}/{component}"] = rss
        return usage

    # ------------------------------------------------------------------ state file

    @property
    def state_path(self) -> Path:
        return self.workdir / STATE_FILE

    def save_state(self) -> Path:
        if self._stopped and self.owns_workdir:
            return self.state_path  # the work dir is gone
        with self._state_lock:
            state = {
                "version": STATE_VERSION,
                "workdir": str(self.workdir),
                "detached": self.detached,
                "etcd": {"url": self.etcd_url, "process": self.etcd.to_state()},
                "clusters": [c.to_state() for c in self.clusters],
            }
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2))
            tmp.replace(self.state_path)
        return self.state_path

    @classmethod
    def load(cls, workdir: str | Path | None = None) -> Fleet:
        """A fleet from its ``fleet.json`` (e.g. one left running by ``python -m testbed up``)."""
        root = Path(workdir).expanduser() if workdir else default_workdir()
        path = root / STATE_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no fleet state at {path}; start one with `python -m testbed up`")
        state = json.loads(path.read_text())
        if state.get("version") != STATE_VERSION:
            raise RuntimeError(f"{path}: unsupported state version {state.get('version')}")
        return cls(
            workdir=root,
            etcd=ManagedProcess.from_state(state["etcd"]["process"]),
            etcd_url=state["etcd"]["url"],
            clusters=[TestCluster.from_state(c) for c in state["clusters"]],
            detached=True,
        )


def _finish_start(cluster: TestCluster, t0: float) -> dict[str, float]:
    """Everything after launching the API server; returns seconds since fleet start per milestone."""
    timing = {}
    cluster.wait_apiserver_ready()
    timing["apiserver_ready"] = time.monotonic() - t0
    cluster.launch_components()
    cluster.bootstrap()
    cluster.wait_ready()
    timing["ready"] = time.monotonic() - t0
    return timing


def _prepare_workdir(root: Path) -> None:
    """Refuse a work dir whose fleet is still running; clear a stale one (only the paths the fleet writes)."""
    state = root / STATE_FILE
    if state.is_file():
        try:
            old = Fleet.load(root)
        except (OSError, ValueError, KeyError, RuntimeError):
            old = None
        if old is not None and old.running():
            raise FleetAlreadyRunning(f"a fleet is running in {root}; stop it with `python -m testbed down`")
    for sub in ("clusters", "etcd-data", "logs", "run"):
        shutil.rmtree(root / sub, ignore_errors=True)
    state.unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def _start_watchdog(root: Path, pid_dir: Path | None) -> ManagedProcess:
    assert pid_dir is not None
    pid_dir.mkdir(parents=True, exist_ok=True)
    me = os.getpid()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    watchdog = ManagedProcess(
        name="watchdog",
        argv=[sys.executable, "-m", "testbed.watchdog", str(me), str(proc_start_time(me)), str(pid_dir)],
        log_path=root / "logs" / "watchdog.log",
        env=env,
    )
    watchdog.start()
    return watchdog


def _stop_processes(procs: list[ManagedProcess]) -> None:
    for proc in procs:
        proc.stop()
