"""The run page's summary: checks as tables, the diff coloured line by line, manifests folded away, escaped."""

from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.urls import reverse

from frontend.summary import count_yaml_documents, diff_line_class, diff_lines
from lifecycle import apply
from lifecycle.cni.render import render
from lifecycle.cni.values import build_values
from lifecycle.observe import DEFAULT_CNI_NAMESPACE
from lifecycle.versions import get_release
from tests.factories import RunFactory

pytestmark = pytest.mark.django_db

TARGET, SOURCE = "edge-26.8.3", "edge-26.6.3"  # a real upgrade: only the DaemonSet's image changes
XSS = "<script>alert('pwned')</script>"


# --- a tiny DOM, so the assertions can say "inside a <details>" instead of grepping ---------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> list[Node]:
        node, found = self.parent, []
        while node is not None:
            found.append(node)
            node = node.parent
        return found

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found

    def one(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert len(found) == 1, f"expected one <{tag or '*'} class={cls}>, found {len(found)}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def squash(text: str) -> str:
    return " ".join(text.split())


# --- realistic summaries, built from the engine's own render ----------------------------------------------------


def rendered(version: str):
    release = get_release(version)
    return render(build_values({}, {}, release, DEFAULT_CNI_NAMESPACE), release)


def object_diffs(before_version: str | None, after_version: str) -> list[dict]:
    """What lifecycle.apply.diff reports, computed from two renders instead of a live cluster."""
    old = {apply.key_of(m)[1:]: m for m in rendered(before_version).manifests} if before_version else {}
    result = []
    for manifest in rendered(after_version).manifests:
        key = apply.key_of(manifest)
        live = old.get(key[1:])
        if live == manifest:
            result.append({"object": apply.describe(key), "action": "unchanged", "diff": ""})
            continue
        lines = [yaml.safe_dump(o, sort_keys=True).splitlines(keepends=True) if o else [] for o in (live, manifest)]
        text = "".join(difflib.unified_diff(*lines, fromfile=f"live {apply.describe(key)}",
                                            tofile=f"cnimgr {apply.describe(key)}"))  # fmt: skip
        result.append({"object": apply.describe(key), "action": "create" if live is None else "update", "diff": text})
    return result


def check(category: str, name: str, status: str = "pass", message: str = "", hint: str = "") -> dict:
    return {"category": category, "name": name, "status": status, "message": message, "hint": hint}


def outcome(results: list[dict]) -> dict:
    return {"success": all(r["status"] != "fail" for r in results),
            "failed": [r["name"] for r in results if r["status"] == "fail"],
            "warnings": [r["name"] for r in results if r["status"] == "warn"], "results": results}  # fmt: skip


PREFLIGHT = outcome([
    check("kubernetes-api", "can initialize the client"),
    check("kubernetes-api", "can query the Kubernetes API", message="v1.31.2"),
    check("kubernetes-version", "is running the minimum Kubernetes API version"),
])  # fmt: skip
STUCK_HINT = "https://linkerd.io/2/checks/#cni-plugin-stuck-pods"


def final_checks(last_status: str = "warn", message: str = "", hint: str = STUCK_HINT) -> dict:
    names = ["ConfigMap", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "DaemonSet"]
    return outcome([
        *(check("linkerd-cni-plugin", f"cni plugin {n} exists") for n in names),
        check("linkerd-cni-plugin", "cni plugin pod is running on all nodes"),
        check("cnimgr-cni", "cni plugin image version matches the target", message="v1.7.0-alpha.1"),
        check("cnimgr-cni", "cni plugin rollout is complete on every node", message="4 of 4 nodes"),
        check("cnimgr-cni", "no meshed pods stuck because they started before the plugin", last_status,
              message=message or "1 pod started before the plugin: shop/web-7d9f", hint=hint),
    ])  # fmt: skip


def upgrade_summary() -> dict:
    new = rendered(TARGET)
    return {
        "version": TARGET, "from_version": SOURCE, "namespace": "linkerd-cni", "changed": True,
        "applied": [apply.describe(apply.key_of(m)) for m in apply.sort_for_apply(new.manifests)],
        "pruned": ["ConfigMap linkerd-cni/linkerd-cni-old"],
        "preflight": PREFLIGHT, "manifests": new.yaml_text(), "content_hash": new.content_hash,
        "diff": object_diffs(SOURCE, TARGET), "rollout": {"desired": 4, "updated": 4, "available": 4},
        "checks": final_checks(),
        "observed": {"kubernetes": {"version": "v1.31.2", "minor": "1.31"},
                     "cni": {"installed": True, "version": "v1.7.0-alpha.1", "installed_by": "cnimgr"}},
    }  # fmt: skip


def run_page(client, summary: dict, **fields) -> tuple[str, Node]:
    run = RunFactory(kind=fields.pop("kind", "upgrade-cni"), state=fields.pop("state", "succeeded"),
                     summary=summary, **fields)  # fmt: skip
    response = client.get(reverse("frontend:run", args=[run.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html, dom(html).one("section", "summary-box")


def part(box: Node, name: str) -> Node:
    return next(s for s in box.find_all("section", "checks-part") if s.attrs["data-part"] == name)


# --- the page ------------------------------------------------------------------------------------------------


def test_checks_are_tables_with_a_status_badge_per_row(viewer):
    _, box = run_page(viewer, upgrade_summary())

    checks = part(box, "checks")
    assert squash(checks.one("h3").text()) == "Checks: 8 passed, 1 warning, 0 failed"
    rows = checks.find_all("tr", "check-row")
    assert [r.one("span", "badge").text() for r in rows] == ["pass"] * 8 + ["warn"]
    assert [sorted(r.classes) for r in rows] == [["check-pass", "check-row"]] * 8 + [["check-row", "check-warn"]]
    assert {next(iter(r.one("span", "badge").classes - {"badge"})) for r in rows} == {"check-pass", "check-warn"}
    warned = rows[-1]
    assert warned.one("td", "check-category").text() == "cnimgr-cni"
    assert warned.one("td", "check-name").text() == "no meshed pods stuck because they started before the plugin"
    assert warned.one("td", "check-message").text() == "1 pod started before the plugin: shop/web-7d9f"
    link = warned.one("td", "check-hint").one("a")
    assert link.attrs["href"] == STUCK_HINT and link.attrs["rel"] == "noopener noreferrer"
    assert rows[0].one("td", "check-hint").text() == ""  # no hint, no text
    assert any(a.classes >= {"table-wrap"} for a in checks.one("table", "checks").ancestors())  # scrolls on a phone

    preflight = part(box, "preflight")
    assert squash(preflight.one("h3").text()) == "Preflight: 3 passed, 0 warnings, 0 failed"
    assert len(preflight.find_all("tr", "check-pass")) == 3
    assert preflight.find_all("th") and "Hint" not in [th.text() for th in preflight.find_all("th")]  # none has one


def test_a_failed_run_shows_the_failed_check_its_hint_and_what_it_had_done(viewer):
    partial = upgrade_summary()
    del partial["checks"], partial["observed"]  # the run stopped at the checks step
    hint = "Delete the pods (kubectl -n shop delete pod web-7d9f) or enable the repair controller."
    failed_checks = final_checks("fail", message=f"stuck: {XSS}", hint=hint)
    html, box = run_page(viewer, {"checks": failed_checks, "result": partial}, state="failed",
                         error="checks: 1 check(s) failed", hint=hint)  # fmt: skip

    checks = part(box, "checks")
    assert squash(checks.one("h3").text()) == "Checks: 8 passed, 0 warnings, 1 failed"
    assert "bad" in checks.one("h3").classes
    failed = checks.one("tr", "check-fail")
    assert failed.one("span", "badge").classes == {"badge", "check-fail"}
    assert failed.one("td", "check-hint").text() == hint
    # The cluster's text is shown, escaped: no script element anywhere in the page.
    assert failed.one("td", "check-message").text() == f"stuck: {XSS}"
    assert "stuck: &lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in html
    assert XSS not in html
    assert all("pwned" not in script.text() for script in dom(html).find_all("script"))

    # The partial result goes through the same special-casing, not the generic tree.
    nested = box.one("div", "nested")
    assert "What it had done before it stopped" in box.one("section", "partial-result").find_all("h3")[0].text()
    assert nested.one("code", "hash").text() == partial["content_hash"]
    assert nested.one("details", "manifests").one("pre", "yaml")
    assert len(nested.find_all("li", "diff-object")) == 6
    assert squash(part(nested, "preflight").one("h3").text()) == "Preflight: 3 passed, 0 warnings, 0 failed"
    assert not nested.find_all("div", "nested")


def test_the_diff_is_one_row_per_object_with_coloured_lines(viewer):
    summary = upgrade_summary()
    _, box = run_page(viewer, summary)

    diff = box.one("section", "diff-part")
    assert squash(diff.one("h3").text()) == "Changes: 1 to update, 5 unchanged"
    objects = diff.find_all("li", "diff-object")
    assert [squash(o.one("div", "diff-head").text()).split(" ", 1)[1].split(" +")[0] for o in objects] == [
        d["object"] for d in summary["diff"]
    ]
    unchanged = [o for o in objects if "action-unchanged" in o.classes]
    assert len(unchanged) == 5 and all(not o.find_all("details") for o in unchanged)

    daemonset = next(o for o in objects if "action-update" in o.classes)
    assert daemonset.one("span", "badge").text() == "update"
    details = daemonset.one("details", "diff")
    assert "open" not in details.attrs
    lines = details.one("pre", "udiff").find_all("span")
    by_class = {}
    for span in lines:
        by_class.setdefault(next(iter(span.classes)), []).append(span.text().rstrip("\n"))
    assert by_class["dl-file"] == ["--- live DaemonSet linkerd-cni/linkerd-cni",
                                   "+++ cnimgr DaemonSet linkerd-cni/linkerd-cni"]  # fmt: skip
    assert any(line.startswith("-") and "cni-plugin:v1.6.8" in line for line in by_class["dl-del"])
    assert any(line.startswith("+") and "cni-plugin:v1.7.0-alpha.1" in line for line in by_class["dl-add"])
    assert all(line.startswith("@@") for line in by_class["dl-hunk"]) and by_class["dl-hunk"]
    assert all(line.startswith(" ") for line in by_class["dl-ctx"])
    # Every line of the diff is there, in order, and the +N −M counts agree with it.
    assert "".join(s.text() for s in lines) == summary["diff"][-1]["diff"]
    counts = daemonset.one("div", "diff-head")
    assert counts.one("span", "dl-add-count").text() == f"+{len(by_class['dl-add'])}"
    assert counts.one("span", "dl-del-count").text() == f"−{len(by_class['dl-del'])}"


def test_manifests_show_the_hash_and_the_yaml_only_folded(viewer):
    summary = upgrade_summary()
    html, box = run_page(viewer, summary)

    render_part = box.one("section", "render-part")
    assert squash(render_part.one("h3").text()) == "Rendered manifests: 6 objects"
    assert render_part.one("code", "hash").text() == summary["content_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", summary["content_hash"])
    pre = render_part.one("pre", "yaml")
    assert pre.text() == summary["manifests"]
    assert [a.tag for a in pre.ancestors()][0] == "details" and "open" not in pre.parent.attrs
    assert not any("apiVersion: apps/v1" in p.text() for p in dom(html).find_all("p"))


def test_rollout_applied_pruned_and_observed(viewer):
    summary = upgrade_summary()
    summary["rollout"] = {"desired": 4, "updated": 4, "available": 3}
    _, box = run_page(viewer, summary)

    rollout = box.one("div", "rollout")
    assert squash(rollout.text()) == "3 of 4 nodes available · 4 updated"
    assert (rollout.attrs["aria-valuenow"], rollout.attrs["aria-valuemax"]) == ("3", "4")
    assert "partial" in rollout.classes
    assert rollout.one("div", "progress-fill").attrs["style"] == "width: 75%"

    lists = {dd.attrs["data-key"]: dd for dd in box.one("dl", "object-lists").find_all("dd")}
    assert [c.text() for c in lists["applied"].find_all("span", "chip")] == summary["applied"]
    assert [c.text() for c in lists["pruned"].find_all("span", "chip")] == ["ConfigMap linkerd-cni/linkerd-cni-old"]

    observed = box.one("details", "observed")
    assert observed.one("summary").text() == "What the cluster runs now"
    assert observed.find_all("dl", "tree")[0].parent is observed
    assert "open" not in observed.attrs

    facts = {dd.attrs["data-key"]: squash(dd.text()) for dd in box.find_all("dl", "summary-facts")[0].find_all("dd")}
    assert facts == {"version": TARGET, "from_version": SOURCE, "namespace": "linkerd-cni", "changed": "yes"}
    assert box.one("pre", "json")  # the raw JSON is still one click away


def test_an_install_with_nothing_to_prune_says_so(viewer):
    summary = upgrade_summary()
    summary["pruned"] = []
    summary["rollout"] = {"desired": 4, "updated": 4, "available": 4}
    _, box = run_page(viewer, summary, kind="install-cni")
    lists = {dd.attrs["data-key"]: dd for dd in box.one("dl", "object-lists").find_all("dd")}
    assert squash(lists["pruned"].text()) == "nothing pruned"
    assert "done" in box.one("div", "rollout").classes


def test_connectivity_lists_the_missing_permissions_in_red(viewer):
    missing = ["cannot create selfsubjectaccessreviews.authorization.k8s.io", f"cannot delete {XSS}"]
    summary = {"kubernetes_version": "v1.31.2", "permissions_checked": 42, "missing": missing}
    html, box = run_page(viewer, summary, kind="connectivity", state="failed")
    facts = box.one("dl", "summary-facts")
    values = {dd.attrs["data-key"]: dd for dd in facts.find_all("dd")}
    assert squash(values["kubernetes_version"].text()) == "v1.31.2"
    assert squash(values["permissions_checked"].text()) == "42"
    ul = values["missing"].one("ul", "missing")
    assert "bad" in ul.classes
    assert [li.text() for li in ul.find_all("li")] == missing
    assert XSS not in html

    _, ok_box = run_page(viewer, {**summary, "missing": []}, kind="connectivity")
    assert squash({dd.attrs["data-key"]: dd for dd in ok_box.find_all("dd")}["missing"].text()) == "none"


def test_unknown_keys_and_odd_shapes_fall_back_to_the_tree(viewer):
    summary = {"result": "ok", "deleted_count": 3, "checks": {"note": "not a check outcome"}, "diff": "text"}
    _, box = run_page(viewer, summary, kind="uninstall-cni")
    assert not box.find_all("table", "checks") and not box.find_all("section", "diff-part")
    tree = box.one("div", "other-part").find_all("dl", "tree")[0]
    # PostgreSQL's jsonb keeps keys in its own order, so compare as a set
    assert sorted(dt.text() for dt in tree.find_all("dt")) == ["checks", "deleted_count", "diff", "note", "result"]


# --- the pure helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "in_hunk", "expected"),
    [
        ("+++ cnimgr DaemonSet linkerd-cni/linkerd-cni", False, "dl-file"),
        ("--- live DaemonSet linkerd-cni/linkerd-cni", False, "dl-file"),
        ("@@ -30,7 +30,7 @@", False, "dl-hunk"),
        ("@@ -1 +1 @@", True, "dl-hunk"),
        ("+        image: cr.l5d.io/linkerd/cni-plugin:v1.7.0", True, "dl-add"),
        ("-        image: cr.l5d.io/linkerd/cni-plugin:v1.6.8", True, "dl-del"),
        ("+", True, "dl-add"),
        ("-", True, "dl-del"),
        ("---- removed a YAML separator", True, "dl-del"),  # inside a hunk: a removed "---" line, not a header
        ("+++ added", True, "dl-add"),
        ("   name: linkerd-cni", True, "dl-ctx"),
        ("", True, "dl-ctx"),
        ("\\ No newline at end of file", True, "dl-note"),
    ],
)
def test_diff_line_class(line, in_hunk, expected):
    assert diff_line_class(line, in_hunk=in_hunk) == expected


def test_diff_lines_tracks_the_hunks():
    text = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n name: x\n----\n+++\n"
    assert diff_lines(text) == [
        ("dl-file", "--- a"), ("dl-file", "+++ b"), ("dl-hunk", "@@ -1,2 +1,2 @@"), ("dl-ctx", " name: x"),
        ("dl-del", "----"), ("dl-add", "+++"),
    ]  # fmt: skip
    assert diff_lines("") == []


def test_count_yaml_documents():
    assert count_yaml_documents(rendered(TARGET).yaml_text()) == len(rendered(TARGET).manifests)
    assert count_yaml_documents("---\n# only a comment\n---\na: 1\n--- # next\nb: 2\n") == 2
    assert count_yaml_documents("") == 0
