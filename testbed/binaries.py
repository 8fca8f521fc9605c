"""Locate the binaries that ``testbed/build.sh`` builds into a cache directory outside the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Keep in step with the defaults at the top of build.sh.
K8S_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
# An older API server (real v1.30 code, with its matching scheduler) for "cluster too old" tests.
OLD_K8S_VERSION = "v1.30.14"
OLD_APISERVER = f"kube-apiserver-{OLD_K8S_VERSION}"

BUILD_HINT = "run `bash testbed/build.sh` (about 16 min cold on 2 cores; prints the bin dir) or set CNIMGR_TESTBED_BIN"
REQUIRED = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok")


class BinariesMissing(RuntimeError):
    """The test-bed binaries are not built."""


@dataclass(frozen=True)
class Binaries:
    dir: Path

    def path(self, name: str) -> Path:
        """Absolute path of one binary, e.g. ``path(OLD_APISERVER)``."""
        candidate = self.dir / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise BinariesMissing(f"{candidate} is missing; {BUILD_HINT}")
        return candidate

    @property
    def etcd(self) -> Path:
        return self.path("etcd")

    @property
    def kube_controller_manager(self) -> Path:
        return self.path("kube-controller-manager")

    @property
    def kube_scheduler(self) -> Path:
        return self.path("kube-scheduler")

    @property
    def kwok(self) -> Path:
        return self.path("kwok")

    @property
    def kubectl(self) -> Path:
        return self.path("kubectl")


def default_bin_dir() -> Path:
    """The directory build.sh uses with its default versions and cache root."""
    cache = Path(os.environ.get("CNIMGR_TESTBED_CACHE", Path.home() / ".cache" / "cnimgr-testbed"))
    return cache / "bin" / f"k8s-{K8S_VERSION}_etcd-{ETCD_VERSION}_kwok-{KWOK_VERSION}"


def find_binaries() -> Binaries:
    """Return the bin dir from ``CNIMGR_TESTBED_BIN`` or build.sh's naming convention.

    Never builds anything (a cold build takes half an hour); raises :class:`BinariesMissing` naming build.sh.
    """
    env_dir = os.environ.get("CNIMGR_TESTBED_BIN")
    bin_dir = Path(env_dir).expanduser() if env_dir else default_bin_dir()
    if not bin_dir.is_dir():
        source = "CNIMGR_TESTBED_BIN" if env_dir else "the default bin dir"
        raise BinariesMissing(f"test-bed binaries not found: {source} {bin_dir} does not exist; {BUILD_HINT}")
    bins = Binaries(bin_dir)
    missing = [name for name in REQUIRED if not (bin_dir / name).is_file()]
    if missing:
        raise BinariesMissing(f"test-bed binaries missing in {bin_dir}: {', '.join(missing)}; {BUILD_HINT}")
    return bins
