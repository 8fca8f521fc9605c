"""Small presentation helpers: times, state badges, progress bars, label chips, JSON shown readably."""

from __future__ import annotations

import datetime as dt
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

STATE_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "errored": "Errored",
    "cancelled": "Cancelled",
}


@register.simple_tag
def when(value: datetime | None, fmt: str = "datetime") -> SafeString:
    """`<time>` with an ISO timestamp; static/frontend/app.js rewrites the text into the browser's time zone."""
    if not value:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308
    utc = value.astimezone(dt.UTC) if timezone.is_aware(value) else value
    iso = utc.isoformat().replace("+00:00", "Z")
    return format_html(
        '<time datetime="{}" data-format="{}" title="{} UTC">{} UTC</time>',
        iso, fmt, utc.strftime("%Y-%m-%d %H:%M:%S"), utc.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip


@register.filter
def duration(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@register.simple_tag
def run_duration(run) -> str:
    if not run.started_at:
        return ""
    end = run.finished_at or timezone.now()
    return duration(end - run.started_at)


@register.simple_tag
def state_badge(state: str | None) -> SafeString:
    if not state:
        return mark_safe('<span class="muted">never run</span>')  # noqa: S308
    return format_html('<span class="badge state-{}">{}</span>', state, STATE_LABELS.get(state, state))


@register.inclusion_tag("frontend/partials/progress.html")
def progress_bar(run, compact: bool = False) -> dict:
    return {"run": run, "percent": run.percent, "compact": compact}


@register.simple_tag
def tristate(value: bool | None, yes: str = "yes", no: str = "no", unknown: str = "—") -> SafeString:
    if value is None:
        return format_html('<span class="muted">{}</span>', unknown)
    if value:
        return format_html('<span class="ok">● {}</span>', yes)
    return format_html('<span class="bad">● {}</span>', no)


@register.simple_tag
def label_chips(labels: dict | None, link: bool = True) -> SafeString:
    """Label chips; each links to the fleet filtered by that label."""
    if not labels:
        return mark_safe('<span class="muted">no labels</span>')  # noqa: S308
    fleet = reverse("frontend:fleet")
    rows = []
    for key, value in sorted(labels.items()):
        text = f"{key}={value}"
        if link:
            rows.append((format_html('<a class="chip" href="{}?{}">{}</a>', fleet, urlencode({"label": text}), text),))
        else:
            rows.append((format_html('<span class="chip">{}</span>', text),))
    return format_html('<span class="chips">{}</span>', format_html_join("", "{}", rows))


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.filter
def compact_json(value: Any) -> str:
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value, sort_keys=True, default=str)


def _scalar(value: Any) -> SafeString:
    if value is None:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308
    if value is True:
        return mark_safe('<span class="ok">true</span>')  # noqa: S308
    if value is False:
        return mark_safe('<span class="bad">false</span>')  # noqa: S308
    if value == "":
        return mark_safe('<span class="muted">(empty)</span>')  # noqa: S308
    return format_html("<code>{}</code>", value) if isinstance(value, int | float) else format_html("{}", value)


def _tree(value: Any, depth: int = 0) -> SafeString:
    if depth > 8:
        return format_html("<code>{}</code>", json.dumps(value, default=str))
    if isinstance(value, dict):
        if not value:
            return mark_safe('<span class="muted">(none)</span>')  # noqa: S308
        rows = ((key, _tree(item, depth + 1)) for key, item in value.items())
        return format_html('<dl class="tree">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))
    if isinstance(value, list | tuple):
        if not value:
            return mark_safe('<span class="muted">(none)</span>')  # noqa: S308
        if all(not isinstance(item, dict | list) for item in value):
            return format_html(
                '<span class="chips">{}</span>',
                format_html_join("", '<span class="chip plain">{}</span>', ((i,) for i in value)),
            )
        return format_html(
            '<ol class="tree-list">{}</ol>',
            format_html_join("", "<li>{}</li>", ((_tree(i, depth + 1),) for i in value)),
        )
    return _scalar(value)


@register.filter
def tree(value: Any) -> SafeString:
    """Nested JSON as nested definition lists: readable without knowing JSON."""
    return _tree(value)


@register.filter
def diff_rows(event) -> list[dict]:
    """Keys of an audit event's before/after snapshots, with the changed ones flagged."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    both = bool(isinstance(event.before, dict) and isinstance(event.after, dict))
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, None), after.get(key, None)
        rows.append({
            "key": key, "before": old, "after": new, "changed": both and old != new,
            "in_before": key in before, "in_after": key in after,
        })  # fmt: skip
    return rows


@register.filter
def level_class(level: str) -> str:
    return {"error": "lvl-error", "warning": "lvl-warning", "debug": "lvl-debug"}.get(level, "lvl-info")


@register.inclusion_tag("frontend/partials/run_summary.html")
def run_summary(summary: Any, nested: bool = False) -> dict[str, Any]:
    """A run's summary, readable: checks as tables, the diff coloured, manifests folded away."""
    from frontend.summary import summary_context

    return summary_context(summary, nested)
