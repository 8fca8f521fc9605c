"""A real local Kubernetes fleet for cnimgr's tests, demos and benchmarks (no container runtime needed).

Each cluster is a real kube-apiserver, kube-controller-manager and kube-scheduler on 127.0.0.1 plus kwok, which
plays the kubelet of N fake nodes; the clusters share one etcd. Binaries come from ``bash testbed/build.sh``.
See docs/testbed.md.
"""

from testbed.binaries import Binaries, BinariesMissing, find_binaries
from testbed.cluster import TestCluster
from testbed.fleet import Fleet, FleetAlreadyRunning

__all__ = ["Binaries", "BinariesMissing", "Fleet", "FleetAlreadyRunning", "TestCluster", "find_binaries"]
