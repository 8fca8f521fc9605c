"""Audit review: filter the trail, open an entry's before/after, export it, verify the hash chain."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from audit.filtersets import AuditEventFilterSet
from audit.models import AuditEvent
from audit.services import verify_chain
from frontend.views.common import paginate, viewer_required

TEXT_FILTERS = ("actor", "action", "action_prefix", "object_type", "cluster", "q")


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def api_filters(query: QueryDict) -> tuple[dict[str, str], list[str]]:
    """The page's filters as the API's: dates (inclusive, in the user's zone) become ISO datetimes."""
    params = {key: query[key].strip() for key in TEXT_FILTERS if query.get(key, "").strip()}
    zone, errors = _zone(query.get("tz", "")), []
    for key, end_of_day in (("since", False), ("until", True)):
        text = query.get(key, "").strip()
        if not text:
            continue
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            errors.append(f"“{text}” is not a date (YYYY-MM-DD); the {key} filter was ignored.")
            continue
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min, tzinfo=zone)
        params[key] = moment.isoformat()
    return params, errors


@viewer_required
def audit_list(request: HttpRequest) -> HttpResponse:
    params, errors = api_filters(request.GET)
    for error in errors:
        messages.warning(request, error)
    filterset = AuditEventFilterSet(params, queryset=AuditEvent.objects.all())
    events = filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
    export = reverse("api:auditevent-export")
    context = {
        "page": paginate(request, events, 50),
        "query": request.GET,
        "tz": request.GET.get("tz", ""),
        "csv_url": f"{export}?{urlencode({'type': 'csv', **params})}",
        "json_url": f"{export}?{urlencode({'type': 'json', **params})}",
        "actions": AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct(),
        "object_types": AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct(),
        "filtered": bool(params),
    }
    return render(request, "frontend/audit.html", context)


@viewer_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    intact, checked, problem = verify_chain()
    context = {"intact": intact, "checked": checked, "problem": problem}
    template = "frontend/partials/audit_verify.html" if request.htmx else "frontend/audit_verify.html"
    return render(request, template, context)
