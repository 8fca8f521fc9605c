"""A run's summary made readable, for the shapes lifecycle/ops/*.py return (docs/cni-lifecycle.md): checks as
tables, the diff coloured line by line, manifests folded away; anything else goes to the generic tree."""

from __future__ import annotations

import re
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from frontend.templatetags.cnimgr_ui import _scalar

CHECK_STATUSES = ("pass", "warn", "fail")
DIFF_ACTIONS = ("create", "update", "delete", "unchanged")
SUMMARY_FACTS = {  # scalar keys shown as plain rows at the top, in this order
    "version": "Version", "from_version": "Upgraded from", "namespace": "Namespace", "mode": "Mode",
    "changed": "Changed the cluster", "kubernetes_version": "Kubernetes", "permissions_checked": "Permissions checked",
    "kind": "Error kind", "status": "HTTP status", "field": "Parameter",
}  # fmt: skip
OBJECT_LISTS = {"applied": "Applied", "pruned": "Pruned", "deleted": "Deleted"}
ROLLOUT_KEYS = {"desired", "updated", "available", "ready", "done"}
_YAML_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def diff_line_class(line: str, *, in_hunk: bool = False) -> str:
    """The CSS class of one line of a unified diff. ``+++``/``---`` are file headers only before the first hunk
    (inside one they are an added ``++`` or a removed ``--`` line)."""
    if line.startswith("@@"):
        return "dl-hunk"
    if not in_hunk and line.startswith(("+++", "---")):
        return "dl-file"
    if line.startswith("+"):
        return "dl-add"
    if line.startswith("-"):
        return "dl-del"
    if line.startswith("\\"):  # "\ No newline at end of file"
        return "dl-note"
    return "dl-ctx"


def diff_lines(text: str) -> list[tuple[str, str]]:
    """A unified diff as ``(css class, line)`` pairs, in order."""
    lines, in_hunk = [], False
    for line in text.splitlines():
        css = diff_line_class(line, in_hunk=in_hunk)
        in_hunk = in_hunk or css == "dl-hunk"
        lines.append((css, line))
    return lines


def count_yaml_documents(text: str) -> int:
    """Non-empty documents of a ``---``-separated YAML stream (comment-only documents do not count)."""

    def has_content(doc: str) -> bool:
        return any(line.strip() and not line.lstrip().startswith("#") for line in doc.splitlines())

    return sum(1 for doc in _YAML_SEPARATOR.split(text) if has_content(doc))


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _fact(key: str, value: Any) -> SafeString:
    if isinstance(value, bool):
        return format_html('<span class="{}">{}</span>', "ok" if value else "muted", "yes" if value else "no")
    if key in ("version", "from_version", "namespace", "kubernetes_version", "field"):
        return format_html("<code>{}</code>", value)
    return _scalar(value)


def _check_section(title: str, value: Any) -> dict | None:
    results = value.get("results") if isinstance(value, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        return None
    rows = []
    for result in results:
        status = str(result.get("status", ""))
        hint = str(result.get("hint") or "")
        rows.append({
            "status": status if status in CHECK_STATUSES else "unknown", "status_text": status or "?",
            "category": str(result.get("category") or ""), "name": str(result.get("name") or ""),
            "message": str(result.get("message") or ""), "hint": hint,
            "hint_is_url": hint.startswith("https://") and not any(c.isspace() for c in hint),
        })  # fmt: skip
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in CHECK_STATUSES}
    heading = f"{title}: {counts['pass']} passed, {_plural(counts['warn'], 'warning')}, {counts['fail']} failed"
    return {
        "title": title,
        "heading": heading,
        "rows": rows,
        "counts": counts,
        "has_hints": any(r["hint"] for r in rows),
        "ok": counts["fail"] == 0,
    }


def _diff_section(value: Any) -> dict | None:
    if not isinstance(value, list) or not all(isinstance(d, dict) and "object" in d for d in value):
        return None
    rows = []
    for item in value:
        action = str(item.get("action") or "")
        text = item.get("diff") if isinstance(item.get("diff"), str) else ""
        lines = diff_lines(text) if action != "unchanged" else []
        rows.append({
            "object": str(item["object"]), "action": action or "?",
            "action_class": action if action in DIFF_ACTIONS else "other", "lines": lines,
            "added": sum(1 for css, _ in lines if css == "dl-add"),
            "removed": sum(1 for css, _ in lines if css == "dl-del"),
        })  # fmt: skip
    tally: dict[str, int] = {}
    for row in rows:
        tally[row["action"]] = tally.get(row["action"], 0) + 1
    order = [a for a in DIFF_ACTIONS if a in tally] + sorted(a for a in tally if a not in DIFF_ACTIONS)
    parts = [f"{tally[a]} unchanged" if a == "unchanged" else f"{tally[a]} to {a}" for a in order]
    return {
        "rows": rows,
        "total": ", ".join(parts) or "no objects",
        "nothing_to_do": bool(rows) and set(tally) == {"unchanged"},
    }


def _rollout(value: Any) -> dict | None:
    if not isinstance(value, dict) or not value or not set(value) <= ROLLOUT_KEYS:
        return None
    counters = {k: value.get(k, 0) for k in ("desired", "updated", "available")}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()):
        return None
    desired, available = counters["desired"], counters["available"]
    percent = 100 if desired and available >= desired else (available * 100 // desired if desired else 0)
    return {
        **counters,
        "percent": percent,
        "done": bool(desired) and available >= desired and counters["updated"] >= desired,
        "ready": value.get("ready"),
    }


def _names(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def summary_context(summary: Any, nested: bool = False) -> dict[str, Any]:
    """Split a run's summary into the sections run_summary.html knows; what is left goes to the generic tree."""
    if not isinstance(summary, dict):
        return {"nested": nested, "other": summary, "has_other": summary not in (None, "", [], {})}
    rest = dict(summary)
    ctx: dict[str, Any] = {"nested": nested}

    facts = []
    for key, label in SUMMARY_FACTS.items():
        value = rest.get(key)
        if key in rest and (value is None or isinstance(value, str | int | float | bool)):
            facts.append({"key": key, "label": label, "html": _fact(key, rest.pop(key))})
    ctx["facts"] = facts

    missing = _names(rest.get("missing"))
    if missing is not None:
        ctx["missing"] = rest.pop("missing")
        ctx["has_missing"] = True

    for key, title in (("preflight", "Preflight"), ("checks", "Checks")):
        section = _check_section(title, rest.get(key))
        if section:
            rest.pop(key)
            ctx[f"{key}_section"] = section

    if isinstance(rest.get("manifests"), str) or isinstance(rest.get("content_hash"), str):
        manifests = rest.pop("manifests", None) if isinstance(rest.get("manifests"), str) else None
        content_hash = rest.pop("content_hash", None) if isinstance(rest.get("content_hash"), str) else None
        ctx["render"] = {
            "content_hash": content_hash, "yaml": manifests,
            "objects": count_yaml_documents(manifests) if manifests is not None else None,
            "lines": len(manifests.splitlines()) if manifests else 0,
        }  # fmt: skip

    diff = _diff_section(rest.get("diff"))
    if diff:
        rest.pop("diff")
        ctx["diff"] = diff

    lists = []
    for key, label in OBJECT_LISTS.items():
        names = _names(rest.get(key))
        if names is not None:
            rest.pop(key)
            lists.append({"key": key, "label": label, "names": names})
    ctx["object_lists"] = lists

    rollout = _rollout(rest.get("rollout"))
    if rollout:
        rest.pop("rollout")
        ctx["rollout"] = rollout

    if "observed" in rest:
        ctx["observed"] = rest.pop("observed")
        ctx["has_observed"] = True

    if not nested and isinstance(rest.get("result"), dict):  # a failed install/upgrade: what it had done so far
        ctx["result"] = rest.pop("result")

    ctx["other"] = rest
    ctx["has_other"] = bool(rest)
    return ctx
