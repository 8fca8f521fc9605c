"""One test cluster: kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1.

The cluster shares the fleet's etcd under its own ``--etcd-prefix``. Fake nodes are plain Node objects that kwok
keeps Ready; DaemonSet and Deployment pods are created by the real controllers, bound by the real scheduler and
marked Running/Ready by kwok (see ``testbed/stages.py``).
"""

from __future__ import annotations

import base64
import http.client
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from lifecycle.permissions import cluster_role
from testbed import kubeconfig as kcfg
from testbed import stages
from testbed.binaries import K8S_VERSION, Binaries
from testbed.pki import CertificateAuthority, CertKey, ServiceAccountKey
from testbed.processes import PORTS, ManagedProcess, WaitAborted, wait_until

USERS = ("admin", "cnimgr")
LEAST_PRIVILEGE_USER = "cnimgr"
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` Service
APISERVER_READY_TIMEOUT = 180.0
CLUSTER_READY_TIMEOUT = 180.0
APISERVER_STOP_GRACE = 3.0

# Controllers enough for DaemonSets, Deployments, namespaces, garbage collection and service accounts. Fewer
# controllers mean fewer informers, less CPU at start-up and less memory on a 2-core machine.
KCM_CONTROLLERS = (
    "daemonset-controller",
    "deployment-controller",
    "replicaset-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "node-lifecycle-controller",
    # Real clusters publish kube-root-ca.crt in every namespace; manifests that mount it expect it.
    "root-ca-certificate-publisher-controller",
    # Deletes pods bound to nodes that no longer exist (a test deleting a fake node).
    "pod-garbage-collector-controller",
)

# Identities of the cluster's own components. The controller manager and kwok act cluster-wide on many kinds;
# system:masters keeps them working without --use-service-account-credentials bookkeeping.
COMPONENT_IDENTITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "kube-controller-manager": ("system:kube-controller-manager", ("system:masters",)),
    "kube-scheduler": ("system:kube-scheduler", ()),
    "kwok": ("kwok-controller", ("system:masters",)),
}
USER_IDENTITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("kubernetes-admin", ("system:masters",)),
    # Only CN: the user gets system:authenticated implicitly and nothing beyond the cnimgr ClusterRole.
    "cnimgr": ("cnimgr", ()),
}


@dataclass
class FaultState:
    """Fault injections kwok must honour; persisted so a detached fleet keeps them across commands."""

    not_ready_nodes: list[str] = field(default_factory=list)
    held_pods: list[stages.Hold] = field(default_factory=list)

    def to_state(self) -> dict[str, Any]:
        return {"not_ready_nodes": self.not_ready_nodes, "held_pods": [list(h) for h in self.held_pods]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FaultState:
        return cls(
            not_ready_nodes=list(state.get("not_ready_nodes", [])),
            held_pods=[stages.Hold(*h) for h in state.get("held_pods", [])],
        )


class TestCluster:
    """A running (or stopped) test cluster. Build it with :meth:`create`; the fleet drives start and stop."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        *,
        name: str,
        directory: Path,
        port: int,
        ca_pem: str,
        credentials: dict[str, CertKey],
        node_names: list[str],
        processes: dict[str, ManagedProcess],
        faults: FaultState | None = None,
    ) -> None:
        self.name = name
        self.dir = directory
        self.port = port
        self.ca_pem = ca_pem
        self._credentials = credentials
        self.node_names = node_names
        self.processes = processes
        self.faults = faults or FaultState()
        # Set by the fleet: persists pids and faults to fleet.json after a fault control changes them.
        self.on_change: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"TestCluster(name={self.name!r}, server={self.server!r})"

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(
        cls,
        *,
        name: str,
        directory: Path,
        bins: Binaries,
        etcd_url: str,
        nodes: int,
        kube_apiserver: str = "kube-apiserver",
        detached: bool = False,
        pid_dir: Path | None = None,
    ) -> TestCluster:
        """Write certificates, kubeconfigs and stage config, and prepare (not start) the processes."""
        if nodes < 1:
            raise ValueError("a cluster needs at least one node (the control-plane node)")
        port = PORTS.allocate()
        server = f"https://127.0.0.1:{port}"
        pki_dir = directory / "pki"
        ca = CertificateAuthority.create(f"cnimgr-testbed-{name}-ca")
        serving = ca.issue_server(
            "kube-apiserver",
            dns_names=["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
            ip_addresses=["127.0.0.1", SERVICE_IP],
        )
        sa_key = ServiceAccountKey.create()
        files = {
            "ca.crt": ca.cert_pem,
            "apiserver.crt": serving.cert_pem,
            "apiserver.key": serving.key_pem,
            "sa.key": sa_key.private_pem,
            "sa.pub": sa_key.public_pem,
        }
        for filename, content in files.items():
            kcfg.write_private(pki_dir / filename, content)

        credentials = {user: ca.issue_client(cn, groups) for user, (cn, groups) in USER_IDENTITIES.items()}
        for user, cred in credentials.items():
            kcfg.write(
                directory / f"kubeconfig-{user}.yaml",
                kcfg.build(name, server, ca.cert_pem, user, cred.cert_pem, cred.key_pem),
            )
        component_kubeconfigs = {}
        for component, (cn, groups) in COMPONENT_IDENTITIES.items():
            cred = ca.issue_client(cn, groups)
            component_kubeconfigs[component] = kcfg.write(
                directory / "components" / f"{component}.kubeconfig",
                kcfg.build(name, server, ca.cert_pem, component, cred.cert_pem, cred.key_pem),
            )

        node_names = [f"{name}-control-plane"] + [f"{name}-worker-{i}" for i in range(1, nodes)]
        faults = FaultState()
        stages_path = directory / "kwok-stages.yaml"
        stages.write(stages_path, faults.not_ready_nodes, faults.held_pods)

        logs = directory / "logs"

        def proc(component: str, argv: list[str]) -> ManagedProcess:
            return ManagedProcess(
                name=f"{name}-{component}",
                argv=argv,
                log_path=logs / f"{component}.log",
                detached=detached,
                pid_dir=pid_dir,
            )

        processes = {
            "kube-apiserver": proc(
                "kube-apiserver",
                [
                    str(bins.path(kube_apiserver)),
                    f"--etcd-servers={etcd_url}",
                    # One etcd serves the whole fleet; the prefix keeps each cluster's keys apart.
                    f"--etcd-prefix=/registry-{name}",
                    "--bind-address=127.0.0.1",
                    # Without it the server looks for a default route, which CI machines may lack.
                    "--advertise-address=127.0.0.1",
                    f"--secure-port={port}",
                    f"--tls-cert-file={pki_dir / 'apiserver.crt'}",
                    f"--tls-private-key-file={pki_dir / 'apiserver.key'}",
                    f"--client-ca-file={pki_dir / 'ca.crt'}",
                    "--authorization-mode=Node,RBAC",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    f"--service-account-key-file={pki_dir / 'sa.pub'}",
                    f"--service-account-signing-key-file={pki_dir / 'sa.key'}",
                    # Endpoints must not point at loopback; with "none" the server does not try (kwokctl does this).
                    "--endpoint-reconciler-type=none",
                    "--allow-privileged=true",
                    # Fewer moving parts and less CPU: no request queuing between test clients.
                    "--enable-priority-and-fairness=false",
                    "--profiling=false",
                ],
            ),
            "kube-controller-manager": proc(
                "kube-controller-manager",
                [
                    str(bins.kube_controller_manager),
                    f"--kubeconfig={component_kubeconfigs['kube-controller-manager']}",
                    "--leader-elect=false",
                    # No health/metrics endpoint: nothing needs it, and it saves a port and a listener.
                    "--secure-port=0",
                    f"--controllers={','.join(KCM_CONTROLLERS)}",
                    f"--root-ca-file={pki_dir / 'ca.crt'}",
                    f"--service-account-private-key-file={pki_dir / 'sa.key'}",
                    "--kube-api-qps=100",
                    "--kube-api-burst=200",
                ],
            ),
            "kube-scheduler": proc(
                "kube-scheduler",
                [
                    str(_scheduler_for(bins, kube_apiserver)),
                    f"--kubeconfig={component_kubeconfigs['kube-scheduler']}",
                    f"--authentication-kubeconfig={component_kubeconfigs['kube-scheduler']}",
                    f"--authorization-kubeconfig={component_kubeconfigs['kube-scheduler']}",
                    "--leader-elect=false",
                    "--secure-port=0",
                ],
            ),
            "kwok": proc(
                "kwok",
                [
                    str(bins.kwok),
                    f"--kubeconfig={component_kubeconfigs['kwok']}",
                    f"--config={stages_path}",
                    "--manage-all-nodes=true",
                    # kwok renews each node's Lease, so the node-lifecycle controller sees live nodes without
                    # a status write every few seconds per node.
                    "--node-lease-duration-seconds=40",
                ],
            ),
        }
        return cls(
            name=name,
            directory=directory,
            port=port,
            ca_pem=ca.cert_pem,
            credentials=credentials,
            node_names=node_names,
            processes=processes,
            faults=faults,
        )

    # ------------------------------------------------------------------ public accessors

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def kubeconfig_path(self, user: str = "admin") -> Path:
        self._check_user(user)
        return self.dir / f"kubeconfig-{user}.yaml"

    def kubeconfig(self, user: str = "admin") -> dict[str, Any]:
        cred = self._cred(user)
        return kcfg.build(self.name, self.server, self.ca_pem, user, cred.cert_pem, cred.key_pem)

    def credentials(self, user: str = "admin") -> dict[str, str]:
        cred = self._cred(user)
        return {"client_cert_pem": cred.cert_pem, "client_key_pem": cred.key_pem}

    def api_client(self, user: str = "admin") -> k8s.ApiClient:
        """A new ApiClient for this cluster and user (close it, or use it as a context manager)."""
        return k8s_config.new_client_from_config_dict(self.kubeconfig(user))

    def _check_user(self, user: str) -> None:
        if user not in USERS:
            raise ValueError(f"unknown user {user!r}; known: {', '.join(USERS)}")

    def _cred(self, user: str) -> CertKey:
        self._check_user(user)
        return self._credentials[user]

    # ------------------------------------------------------------------ lifecycle

    def launch_apiserver(self) -> None:
        self.processes["kube-apiserver"].start()

    def wait_apiserver_ready(self, timeout: float = APISERVER_READY_TIMEOUT) -> None:
        apiserver = self.processes["kube-apiserver"]

        def ready() -> bool:
            if not apiserver.running():
                raise ProcessDied(apiserver)
            return self.readyz()

        try:
            wait_until(ready, timeout, interval=0.25, what=f"{self.name} kube-apiserver /readyz")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- {apiserver.log_path} (tail)\n{apiserver.log_tail()}") from None

    def readyz(self) -> bool:
        """True if GET /readyz answers 200 (it waits for RBAC bootstrap and the default namespace).

        Anonymous on purpose: /readyz is public (system:public-info-viewer), and it keeps this probe free of
        client-certificate temp files.
        """
        return self._get("/readyz")[0] == 200

    def _get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        ctx = ssl.create_default_context(cadata=self.ca_pem)
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except OSError:
            return 0, b""
        finally:
            conn.close()

    def launch_components(self) -> None:
        for component in ("kube-controller-manager", "kube-scheduler", "kwok"):
            self.processes[component].start()

    def bootstrap(self) -> None:
        """Create the least-privilege user's RBAC and the fake nodes (idempotent)."""
        with self.api_client() as api:
            rbac = k8s.RbacAuthorizationV1Api(api)
            role = cluster_role(LEAST_PRIVILEGE_USER)
            binding = {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": LEAST_PRIVILEGE_USER},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": role["metadata"]["name"],
                },
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": LEAST_PRIVILEGE_USER}],
            }
            _create_ignore_exists(lambda: rbac.create_cluster_role(body=role))
            _create_ignore_exists(lambda: rbac.create_cluster_role_binding(body=binding))
            core = k8s.CoreV1Api(api)
            for index, node in enumerate(self.node_names):
                _create_ignore_exists(lambda node=node, index=index: core.create_node(body=_node(node, index == 0)))

    def wait_ready(self, timeout: float = CLUSTER_READY_TIMEOUT) -> None:
        """Wait until every fake node is Ready and pods can be created (the default ServiceAccount exists)."""
        with self.api_client() as api:
            core = k8s.CoreV1Api(api)

            def ready() -> bool:
                for component, proc in self.processes.items():
                    if not proc.running():
                        raise ProcessDied(proc, component)
                not_ready = [n.metadata.name for n in core.list_node().items if not _node_ready(n)]
                if not_ready:
                    return False
                core.read_namespaced_service_account("default", "default")
                return True

            wait_until(ready, timeout, interval=0.25, what=f"{self.name}: nodes Ready and default ServiceAccount")

    def stop(self) -> None:
        # Clients first, so they do not log a burst of connection errors while the API server goes away.
        for component in ("kwok", "kube-scheduler", "kube-controller-manager"):
            self.processes[component].stop()
        self.processes["kube-apiserver"].stop(timeout=APISERVER_STOP_GRACE)

    def running(self) -> dict[str, bool]:
        return {component: proc.running() for component, proc in self.processes.items()}

    def rss_bytes(self) -> dict[str, int]:
        return {component: proc.rss_bytes() for component, proc in self.processes.items()}

    # ------------------------------------------------------------------ fault controls

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only; clients then get "connection refused" on the same port.

        The server closes its listener at once on SIGTERM but then drains open watches for many seconds; a
        short grace before SIGKILL keeps the fault quick (it is an outage, not a maintenance shutdown).
        """
        self.processes["kube-apiserver"].stop(timeout=APISERVER_STOP_GRACE)
        self.changed()

    def start_apiserver(self, timeout: float = APISERVER_READY_TIMEOUT) -> None:
        """Start kube-apiserver again on the same port and wait for /readyz."""
        apiserver = self.processes["kube-apiserver"]
        if not apiserver.running():
            apiserver.start()
            self.changed()
        self.wait_apiserver_ready(timeout)

    def reset_faults(self) -> None:
        """Undo every fault: API server running, all nodes Ready, no held pods (for test teardown)."""
        from testbed import faults

        if not self.processes["kube-apiserver"].running():
            self.start_apiserver()
        if self.faults.not_ready_nodes or self.faults.held_pods:
            faults.reset(self)

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def set_node_ready(self, node: str, ready: bool) -> None:
        from testbed import faults

        faults.set_node_ready(self, node, ready)

    def hold_pod_not_ready(self, namespace: str, daemonset: str, node: str) -> None:
        from testbed import faults

        faults.hold_pod_not_ready(self, namespace, daemonset, node)

    def release_pod(self, namespace: str, daemonset: str, node: str) -> None:
        from testbed import faults

        faults.release_pod(self, namespace, daemonset, node)

    # ------------------------------------------------------------------ state file

    def to_state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dir": str(self.dir),
            "port": self.port,
            "server": self.server,
            "ca_pem": self.ca_pem,
            "kubeconfigs": {user: str(self.kubeconfig_path(user)) for user in USERS},
            "node_names": self.node_names,
            "processes": {component: proc.to_state() for component, proc in self.processes.items()},
            "faults": self.faults.to_state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TestCluster:
        directory = Path(state["dir"])
        credentials = {}
        for user in USERS:
            config = _load_yaml(directory / f"kubeconfig-{user}.yaml")
            user_entry = config["users"][0]["user"]
            credentials[user] = CertKey(
                cert_pem=_b64decode(user_entry["client-certificate-data"]),
                key_pem=_b64decode(user_entry["client-key-data"]),
            )
        return cls(
            name=state["name"],
            directory=directory,
            port=int(state["port"]),
            ca_pem=state["ca_pem"],
            credentials=credentials,
            node_names=list(state["node_names"]),
            processes={c: ManagedProcess.from_state(p) for c, p in state["processes"].items()},
            faults=FaultState.from_state(state.get("faults", {})),
        )


class ProcessDied(WaitAborted):
    def __init__(self, proc: ManagedProcess, component: str | None = None) -> None:
        super().__init__(
            f"{component or proc.name} exited with code {proc.exit_code()}\n--- {proc.log_path} (tail)\n"
            f"{proc.log_tail()}"
        )


def _scheduler_for(bins: Binaries, kube_apiserver: str) -> Path:
    """The scheduler matching an older API server ("kube-apiserver-v1.30.14" -> "kube-scheduler-v1.30.14").

    A newer scheduler cannot run against an older API server: it waits forever for informers on APIs the old
    server does not serve (resource.k8s.io/v1). The controller manager copes with the skew, so it is shared.
    """
    suffix = kube_apiserver.removeprefix("kube-apiserver")
    if suffix:
        candidate = bins.dir / f"kube-scheduler{suffix}"
        if candidate.is_file():
            return candidate
    return bins.kube_scheduler


def _create_ignore_exists(create: Any) -> None:
    try:
        create()
    except ApiException as exc:
        if exc.status != 409:
            raise


def _node(name: str, control_plane: bool) -> dict[str, Any]:
    labels = {
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
    }
    spec: dict[str, Any] = {}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    resources = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
        "spec": spec,
        # A registering kubelet sends status with the create call; kwok's node-initialize stage keeps these
        # values and only fills in conditions and addresses.
        "status": {
            "allocatable": resources,
            "capacity": resources,
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": K8S_VERSION,
                "kubeProxyVersion": K8S_VERSION,
                "containerRuntimeVersion": "kwok://fake",
                "kernelVersion": "fake",
                "osImage": "kwok fake node",
                "bootID": "",
                "machineID": "",
                "systemUUID": "",
            },
        },
    }


def _node_ready(node: k8s.V1Node) -> bool:
    for cond in (node.status.conditions or []) if node.status else []:
        if cond.type == "Ready":
            return cond.status == "True"
    return False


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _b64decode(data: str) -> str:
    return base64.b64decode(data).decode()
