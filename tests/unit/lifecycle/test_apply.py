from lifecycle import apply
from lifecycle.cni.render import render
from lifecycle.cni.values import build_values
from lifecycle.versions import get_release


def manifests():
    release = get_release("edge-26.8.3")
    return render(build_values({}, {}, release), release)


def test_apply_order_is_dependency_order():
    shuffled = list(reversed(manifests().manifests))
    assert [m["kind"] for m in apply.sort_for_apply(shuffled)] == [
        "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet"]


def test_clean_drops_server_noise_only():
    live = {"metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "generation": 2,
                         "creationTimestamp": "t", "managedFields": [{}], "labels": {"a": "b"},
                         "annotations": {"deprecated.daemonset.template.generation": "2"}},
            "spec": {"a": 1}, "status": {"ready": 1}}
    assert apply.clean(live) == {"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"a": 1}}


def test_prune_keeps_rendered_objects_and_never_lists_namespaces(monkeypatch):
    rendered = manifests()
    live = [*rendered.manifests[1:],
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "linkerd-cni", "namespace": "linkerd-cni"}}]
    monkeypatch.setattr(apply, "list_labelled", lambda dyn, selector, kinds: live)
    assert apply.prune_candidates(None, "linkerd.io/cni-resource=true", rendered.keys()) == [
        ("rbac.authorization.k8s.io/v1", "Role", "linkerd-cni", "linkerd-cni")]
    assert ("v1", "Namespace") not in apply.CNI_PRUNE_KINDS
    kinds = {kind for _, kind in apply.CNI_PRUNE_KINDS}
    assert {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"} <= kinds


def test_keep_matches_across_api_versions(monkeypatch):
    live = [{"apiVersion": "rbac.authorization.k8s.io/v1beta1", "kind": "ClusterRole",
             "metadata": {"name": "linkerd-cni"}}]
    monkeypatch.setattr(apply, "list_labelled", lambda dyn, selector, kinds: live)
    keep = {("rbac.authorization.k8s.io/v1", "ClusterRole", "", "linkerd-cni")}
    assert apply.prune_candidates(None, "x", keep) == []
