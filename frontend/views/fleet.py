"""The fleet page: every cluster at a glance, filtered by label selector and search."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.roles import OPERATOR
from clusters.filtersets import label_query
from clusters.models import Cluster, label_key
from frontend.views.common import paginate, role_required, viewer_required
from operations import services as run_services

NONE, UNKNOWN = "none", "unknown"
PALETTE_SIZE = 8


@dataclass
class Segment:
    value: str  # filter value
    label: str
    count: int
    percent: float
    css: str


@dataclass
class FleetFilters:
    labels: list[str]
    names: list[str]
    q: str
    cni: str
    cp: str
    errors: list[str]

    @classmethod
    def from_query(cls, query: QueryDict) -> FleetFilters:
        labels, errors = [], []
        for selector in query.getlist("label"):
            selector = selector.strip()
            if not selector:
                continue
            keys = [p.replace("!=", "=").split("=", 1)[0].strip() for p in selector.split(",") if p.strip()]
            try:
                for key in keys:
                    label_key(key)
            except ValidationError:
                errors.append(f"Ignored the label selector “{selector}”: write key=value, key!=value or key.")
                continue
            labels.append(selector)
        names = [n.strip() for n in query.getlist("name") if n.strip()]
        return cls(labels=labels, names=names, q=query.get("q", "").strip(), cni=query.get("cni", "").strip(),
                   cp=query.get("cp", "").strip(), errors=errors)  # fmt: skip

    def apply(self, queryset: QuerySet[Cluster]) -> QuerySet[Cluster]:
        if self.labels:
            queryset = queryset.filter(label_query(self.labels))
        if self.names:
            queryset = queryset.filter(name__in=self.names)
        if self.q:
            queryset = queryset.filter(
                Q(name__icontains=self.q) | Q(display_name__icontains=self.q) | Q(description__icontains=self.q)
                | Q(server__icontains=self.q)
            )  # fmt: skip
        queryset = _version_filter(queryset, "cni_version", self.cni)
        return _version_filter(queryset, "control_plane_version", self.cp)

    @property
    def active(self) -> bool:
        return bool(self.labels or self.names or self.q or self.cni or self.cp)

    def as_query(self) -> str:
        pairs = [("label", s) for s in self.labels] + [("name", n) for n in self.names]
        pairs += [(k, v) for k, v in (("q", self.q), ("cni", self.cni), ("cp", self.cp)) if v]
        return urlencode(pairs)


def _version_filter(queryset: QuerySet[Cluster], field: str, value: str) -> QuerySet[Cluster]:
    if not value:
        return queryset
    if value == UNKNOWN:
        return queryset.filter(observed_at__isnull=True)
    if value == NONE:
        return queryset.filter(**{field: ""}, observed_at__isnull=False)
    return queryset.filter(**{field: value})


def version_segments(queryset: QuerySet[Cluster], field: str) -> list[Segment]:
    """How many clusters run which version: the segments of a stacked bar, most common first."""
    counts: Counter[str] = Counter()
    for version, observed_at in queryset.values_list(field, "observed_at"):
        counts[version or (NONE if observed_at else UNKNOWN)] += 1
    total = sum(counts.values()) or 1
    known = sorted((v for v in counts if v not in (NONE, UNKNOWN)), key=lambda v: (-counts[v], v))
    segments = [Segment(v, v, counts[v], 100 * counts[v] / total, f"seg-{i % PALETTE_SIZE}")
                for i, v in enumerate(known)]  # fmt: skip
    if counts[NONE]:
        segments.append(Segment(NONE, "not installed", counts[NONE], 100 * counts[NONE] / total, "seg-none"))
    if counts[UNKNOWN]:
        segments.append(Segment(UNKNOWN, "not checked yet", counts[UNKNOWN], 100 * counts[UNKNOWN] / total,
                                "seg-unknown"))  # fmt: skip
    return segments


def fleet_counts(queryset: QuerySet[Cluster]) -> dict[str, int]:
    rows = list(queryset.values_list("reachable", "cni_enabled", "missing_permissions", "enabled"))
    return {
        "total": len(rows),
        "reachable": sum(1 for r in rows if r[0] is True),
        "unreachable": sum(1 for r in rows if r[0] is False),
        "unchecked": sum(1 for r in rows if r[0] is None),
        "cni_enabled": sum(1 for r in rows if r[1] is True),
        "missing_permissions": sum(1 for r in rows if r[2]),
        "disabled": sum(1 for r in rows if not r[3]),
    }


def with_last_run(queryset: QuerySet[Cluster]) -> QuerySet[Cluster]:
    from operations.models import Run

    latest = Run.objects.filter(cluster=OuterRef("pk")).order_by("-id")
    return queryset.annotate(
        last_run_id=Subquery(latest.values("id")[:1]),
        last_run_state=Subquery(latest.values("state")[:1]),
        last_run_kind=Subquery(latest.values("kind")[:1]),
        last_run_at=Subquery(latest.values("created_at")[:1]),
    )


@viewer_required
def fleet(request: HttpRequest) -> HttpResponse:
    filters = FleetFilters.from_query(request.GET)
    for error in filters.errors:
        messages.warning(request, error)
    clusters = filters.apply(Cluster.objects.defer("token", "client_key"))
    by_cni_only = replace(filters, cni="").apply(Cluster.objects.defer("token", "client_key"))
    by_cp_only = replace(filters, cp="").apply(Cluster.objects.defer("token", "client_key"))
    context = {
        "filters": filters,
        "page": paginate(request, with_last_run(clusters), 200),
        "counts": fleet_counts(clusters),
        "cni_segments": version_segments(by_cni_only, "cni_version"),
        "cp_segments": version_segments(by_cp_only, "control_plane_version"),
        "registered": Cluster.objects.exists(),
    }
    return render(request, "frontend/fleet.html", context)


@require_POST
@role_required(OPERATOR)
def check_all(request: HttpRequest) -> HttpResponse:
    """One connectivity run per enabled cluster matching the same filters as the fleet page."""
    filters = FleetFilters.from_query(request.POST)
    shown = list(filters.apply(Cluster.objects.defer("token", "client_key")))
    enabled = [c for c in shown if c.enabled]
    skipped = len(shown) - len(enabled)
    runs, refusals = run_services.start_runs(clusters=enabled, kind="connectivity", params={}, actor=request.user)
    started, refused = len(runs), [f"{r['cluster']}: {r['reason']}" for r in refusals]
    if started:
        messages.success(request, f"Started {started} connectivity run{'s' if started != 1 else ''}.")
    if skipped:
        messages.info(request, f"Skipped {skipped} disabled cluster{'s' if skipped != 1 else ''}.")
    for line in refused[:20]:
        messages.error(request, line)
    if not (started or skipped or refused):
        messages.warning(request, "No cluster matches these filters.")
    if started:
        return redirect(reverse("frontend:runs") + "?" + urlencode({"kind": "connectivity"}))
    query = filters.as_query()
    return redirect(reverse("frontend:fleet") + (f"?{query}" if query else ""))
