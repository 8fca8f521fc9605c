"""The Kubernetes permissions cnimgr needs on a managed cluster.

This list is the single source of truth: the ``connectivity`` run checks each entry with a
SelfSubjectAccessReview, the docs print it, and the test bed grants exactly this to its least-privilege user.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = ("get", "list", "watch")
WRITE = ("create", "patch", "update", "delete")


@dataclass(frozen=True)
class Rule:
    group: str  # "" is the core group
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    why: str

    def as_policy_rule(self) -> dict:
        return {"apiGroups": [self.group], "resources": list(self.resources), "verbs": list(self.verbs)}


REQUIRED_RULES: tuple[Rule, ...] = (
    Rule("", ("namespaces",), READ + WRITE, "create the linkerd-cni and linkerd namespaces"),
    Rule("", ("nodes",), READ, "count nodes and check the CNI pod on each"),
    Rule("", ("pods",), READ + ("delete",), "check CNI pods; restart pods that started before the plugin"),
    Rule("", ("serviceaccounts", "configmaps", "services", "secrets"), READ + WRITE, "Linkerd's namespaced resources"),
    Rule("apps", ("daemonsets", "deployments"), READ + WRITE,
         "the linkerd-cni DaemonSet and control-plane Deployments"),
    Rule("apps", ("replicasets",), READ, "check that control-plane ReplicaSets are healthy"),
    Rule("batch", ("cronjobs",), READ + WRITE, "the linkerd-heartbeat CronJob of the control plane"),
    Rule(
        "rbac.authorization.k8s.io",
        ("clusterroles", "clusterrolebindings", "roles", "rolebindings"),
        READ + WRITE + ("bind", "escalate"),
        "Linkerd's RBAC (bind/escalate: grant the plugin's own read permissions)",
    ),
    Rule("apiextensions.k8s.io", ("customresourcedefinitions",), READ + WRITE, "Linkerd CRDs"),
    Rule(
        "admissionregistration.k8s.io",
        ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"),
        READ + WRITE,
        "the proxy injector and policy validator webhooks",
    ),
    Rule("apiregistration.k8s.io", ("apiservices",), READ + WRITE, "the tap APIService of the viz extension"),
    Rule("policy", ("poddisruptionbudgets",), READ + WRITE, "control-plane disruption budgets"),
    Rule("events.k8s.io", ("events",), ("create",), "granted to the CNI repair controller"),
    Rule("", ("events",), ("create",), "granted to the CNI repair controller"),
    Rule("authorization.k8s.io", ("selfsubjectaccessreviews",), ("create",), "check these permissions"),
)


def access_checks() -> list[tuple[str, str, str]]:
    """Every (verb, group, resource) triple to verify, in a stable order."""
    return [(verb, rule.group, res) for rule in REQUIRED_RULES for res in rule.resources for verb in rule.verbs]


def cluster_role(name: str = "cnimgr") -> dict:
    """A ClusterRole manifest holding exactly the required rules."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [rule.as_policy_rule() for rule in REQUIRED_RULES],
    }


def markdown_table() -> str:
    """The table printed in docs/permissions.md (a test keeps the two in step)."""
    lines = ["| API group | Resources | Verbs | Why |", "|---|---|---|---|"]
    for rule in REQUIRED_RULES:
        group, resources, verbs = rule.group or "core", ", ".join(rule.resources), ", ".join(rule.verbs)
        lines.append(f"| `{group}` | {resources} | {verbs} | {rule.why} |")
    return "\n".join(lines)
