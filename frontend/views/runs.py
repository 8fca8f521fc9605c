"""Runs: the list, one run with its live output, and cancel/retry."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.roles import OPERATOR
from clusters.models import Cluster
from cnimgr.api.errors import ServiceError
from frontend.kinds import run_kinds
from frontend.views.common import flash_service_error, paginate, role_required, viewer_required
from operations import services as run_services
from operations.filtersets import RunFilterSet
from operations.models import Run, RunState

FIRST_PAGE_EVENTS = 1000  # events rendered with the page; the poller fetches the rest
EVENTS_PER_POLL = 500


@viewer_required
def run_list(request: HttpRequest) -> HttpResponse:
    filterset = RunFilterSet(request.GET or None, queryset=Run.objects.all())
    runs = filterset.qs if filterset.is_valid() else Run.objects.none()
    page = paginate(request, runs, 50)
    context = {
        "filterset": filterset,
        "page": page,
        "kinds": run_kinds(),
        "states": RunState.choices,
        "selected_states": request.GET.getlist("state"),
        "cluster_names": Cluster.objects.values_list("name", flat=True),
        "any_active": any(run.state in RunState.ACTIVE for run in page),
    }
    return render(request, "frontend/runs.html", context)


def step_timeline(run: Run) -> list[dict]:
    """The run's steps in the order they started, with how they went, from its events."""
    rows = (
        run.events.exclude(step="").values("step")
        .annotate(first=Min("seq"), count=Count("seq"), errors=Count("seq", filter=Q(level="error")),
                  warnings=Count("seq", filter=Q(level="warning")))
        .order_by("first")
    )  # fmt: skip
    steps = []
    for index, row in enumerate(rows):
        last = index == len(rows) - 1
        if row["errors"]:
            status = "failed"
        elif last and run.state == RunState.RUNNING:
            status = "running"
        elif last and run.state in (RunState.FAILED, RunState.ERRORED, RunState.CANCELLED):
            status = run.state
        else:
            status = "succeeded"
        steps.append({**row, "status": status})
    return steps


def _header_context(run: Run) -> dict:
    return {"run": run, "steps": step_timeline(run), "retries": list(run.retries.order_by("id")[:5])}


def _poller_context(run: Run, after: int, more: bool, seen_finished: bool) -> dict:
    """Poll while the run is active; after it finishes, once more (late events); faster while catching up."""
    if run.is_finished and seen_finished and not more:
        return {"poll_url": None}
    query = {"after": after, "state": run.state, "done": run.progress_done, "step": run.progress_step,
             "cancel": int(run.cancel_requested)}  # fmt: skip
    if run.is_finished:
        query["finished"] = 1
    trigger = "load" if more else ("load delay:1s" if run.is_finished else "every 2s")
    return {"poll_url": reverse("frontend:run-events", args=[run.pk]) + "?" + urlencode(query), "trigger": trigger}


@viewer_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(Run.objects.select_related("cluster", "retry_of"), pk=pk)
    events = list(run.events.order_by("seq")[: FIRST_PAGE_EVENTS + 1])
    more = len(events) > FIRST_PAGE_EVENTS
    events = events[:FIRST_PAGE_EVENTS]
    after = events[-1].seq if events else 0
    context = {**_header_context(run), "events": events,
               **_poller_context(run, after, more, seen_finished=run.is_finished)}  # fmt: skip
    return render(request, "frontend/run_detail.html", context)


@viewer_required
def run_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled partial: events after `?after=`, the header again if the run changed, and the next poller."""
    run = get_object_or_404(Run.objects.select_related("cluster", "retry_of"), pk=pk)  # read the run first
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    events = list(run.events.filter(seq__gt=after).order_by("seq")[: EVENTS_PER_POLL + 1])
    more = len(events) > EVENTS_PER_POLL
    events = events[:EVENTS_PER_POLL]
    seen = (request.GET.get("state"), request.GET.get("done"), request.GET.get("step"), request.GET.get("cancel"))
    now = (run.state, str(run.progress_done), run.progress_step, str(int(run.cancel_requested)))
    context = {
        **_header_context(run),
        "events": events,
        "header_changed": seen != now,
        **_poller_context(run, events[-1].seq if events else after, more, bool(request.GET.get("finished"))),
    }
    return render(request, "frontend/partials/run_events_poll.html", context)


@require_POST
@role_required(OPERATOR)
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=pk)
    try:
        run = run_services.cancel_run(run, actor=request.user)
    except ServiceError as exc:
        flash_service_error(request, exc)
    else:
        if run.state == RunState.CANCELLED:
            messages.success(request, f"Cancelled run #{run.pk} before it started.")
        else:
            messages.info(request, f"Asked run #{run.pk} to stop; it stops at its next step.")
    return redirect("frontend:run", pk=pk)


@require_POST
@role_required(OPERATOR)
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=pk)
    try:
        new = run_services.retry_run(run, actor=request.user)
    except ServiceError as exc:
        flash_service_error(request, exc)
        return redirect("frontend:run", pk=pk)
    messages.success(request, f"Queued run #{new.pk}, a retry of #{run.pk}.")
    return redirect("frontend:run", pk=new.pk)
