"""pytest fixtures for the test-bed fleet. Enable with ``pytest_plugins = ["testbed.pytest_plugin"]`` or
``pytest -p testbed.pytest_plugin``.

Environment:
  CNIMGR_TESTBED_CLUSTERS   clusters in the session fleet (default 3)
  CNIMGR_TESTBED_NODES      fake nodes per cluster (default 4, one of them the tainted control-plane node)
  CNIMGR_TESTBED_REUSE      "1": use the fleet of ``python -m testbed up`` (default work dir or
                            CNIMGR_TESTBED_WORKDIR) instead of starting one; any other non-empty value is taken
                            as that fleet's work dir. Much faster while iterating on tests.
  CNIMGR_TESTBED_KEEP       "1": keep the session fleet's work dir (logs, kubeconfigs) after the session.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from testbed.binaries import BinariesMissing, find_binaries
from testbed.cluster import TestCluster
from testbed.fleet import Fleet


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so `-p testbed.pytest_plugin` works under --strict-markers without pyproject's list.
    config.addinivalue_line("markers", "fleet: needs the real local Kubernetes test-bed fleet")


def _reuse_target() -> str | None:
    value = os.environ.get("CNIMGR_TESTBED_REUSE", "").strip()
    if not value or value == "0":
        return None
    return "" if value == "1" else value


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The session's fleet: real API servers with fake nodes. Fails (never skips) when binaries are missing."""
    reuse = _reuse_target()
    if reuse is not None:
        try:
            attached = Fleet.load(reuse or None)
        except FileNotFoundError as exc:
            pytest.fail(f"CNIMGR_TESTBED_REUSE is set but {exc}", pytrace=False)
        if not all(c.readyz() for c in attached.clusters):
            pytest.fail(f"CNIMGR_TESTBED_REUSE: the fleet in {attached.workdir} is not healthy", pytrace=False)
        yield attached  # not ours to stop
        return
    missing = None
    try:
        bins = find_binaries()
    except BinariesMissing as exc:
        missing = str(exc)
    if missing is not None:  # outside the except block, so the report is just the message
        pytest.fail(missing, pytrace=False)
    clusters = int(os.environ.get("CNIMGR_TESTBED_CLUSTERS", "3"))
    nodes = int(os.environ.get("CNIMGR_TESTBED_NODES", "4"))
    workdir = None
    if os.environ.get("CNIMGR_TESTBED_KEEP") == "1":
        workdir = tempfile.mkdtemp(prefix="cnimgr-testbed-kept-")  # not owned by the fleet: survives stop()
    started = Fleet.start(clusters=clusters, nodes=nodes, bins=bins, workdir=workdir)
    try:
        yield started
    finally:
        started.stop()


NamespaceFactory = Callable[..., str]


@pytest.fixture
def fleet_namespace(fleet: Fleet) -> Iterator[NamespaceFactory]:
    """Factory: ``fleet_namespace(cluster, prefix="t")`` creates a uniquely named namespace, deleted afterwards.

    With no cluster it uses the fleet's first cluster. Returns the namespace name.
    """
    created: list[tuple[TestCluster, str]] = []

    def make(cluster: TestCluster | None = None, prefix: str = "t") -> str:
        target = cluster or fleet.clusters[0]
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        with target.api_client() as api:
            k8s.CoreV1Api(api).create_namespace({"metadata": {"name": name, "labels": {"cnimgr-testbed": "test"}}})
        created.append((target, name))
        return name

    yield make

    for target, name in created:
        if not target.readyz():
            continue  # a test left the API server stopped; the namespace goes with the fleet
        with target.api_client() as api:
            try:
                k8s.CoreV1Api(api).delete_namespace(name, propagation_policy="Background")
            except ApiException as exc:
                if exc.status != 404:
                    raise
