"""One cluster: what it looks like, its runs, and the changes an operator or admin can make."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.roles import ADMIN, OPERATOR
from audit.models import AuditEvent
from clusters import services as cluster_services
from clusters.models import Cluster
from cnimgr.api.errors import ServiceError
from frontend.forms import ClusterForm, StartRunForm, apply_service_error
from frontend.kinds import default_version, run_kinds, version_choices
from frontend.views.common import flash_service_error, role_required, viewer_required
from operations import services as run_services
from operations.models import Run, RunState

RECENT = 10


@viewer_required
def cluster_detail(request: HttpRequest, name: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name)
    kinds = run_kinds()
    context = {
        "cluster": cluster,
        "runs": Run.objects.filter(cluster_name=cluster.name)[:RECENT],
        "active_runs": Run.objects.filter(cluster=cluster, state__in=RunState.ACTIVE).count(),
        "audit_events": AuditEvent.objects.filter(cluster=cluster.name)[:RECENT],
        "quick_kinds": [k for k in kinds if not k.mutating],
        "mutating_kinds": [k for k in kinds if k.mutating],
        "credentials": [
            ("Credential kind", cluster.get_credential_kind_display(), None),
            ("CA bundle", None, bool(cluster.ca_bundle)),
            ("Bearer token", None, bool(cluster.token)),
            ("Client certificate", None, bool(cluster.client_certificate)),
            ("Client key", None, bool(cluster.client_key)),
        ],
    }
    return render(request, "frontend/cluster_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(OPERATOR)
def cluster_edit(request: HttpRequest, name: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name)
    form = ClusterForm(request.POST or None, cluster=cluster)
    if request.method == "POST" and form.is_valid():
        try:
            cluster = cluster_services.update_cluster(cluster, actor=request.user, **form.service_fields())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"Saved cluster {cluster.name}.")
            return redirect("frontend:cluster", name=cluster.name)
    return render(request, "frontend/cluster_edit.html", {"cluster": cluster, "form": form})


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def cluster_delete(request: HttpRequest, name: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != cluster.name:
            error = f"Type the cluster's name, {cluster.name}, to confirm."
        else:
            try:
                cluster_services.delete_cluster(cluster, actor=request.user)
            except ServiceError as exc:
                flash_service_error(request, exc)
                return redirect("frontend:cluster", name=cluster.name)
            messages.success(request, f"Deleted cluster {name}. Its runs and audit trail are kept.")
            return redirect("frontend:fleet")
    context = {"cluster": cluster, "error": error,
               "run_count": Run.objects.filter(cluster=cluster).count(),
               "active_runs": Run.objects.filter(cluster=cluster, state__in=RunState.ACTIVE).count()}  # fmt: skip
    return render(request, "frontend/cluster_delete.html", context)


@require_http_methods(["GET", "POST"])
@role_required(OPERATOR)
def start_run(request: HttpRequest, name: str) -> HttpResponse:
    """GET: the form for one kind (version, parameters). POST: queue the run and go to its page."""
    cluster = get_object_or_404(Cluster, name=name)
    kinds = run_kinds()
    data = request.POST if request.method == "POST" else None
    initial = {"kind": request.GET.get("kind") or (kinds[0].name if kinds else "")}
    form = StartRunForm(
        data, initial=initial, kinds=kinds, versions=version_choices(), default_version=default_version()
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = run_services.start_run(cluster=cluster, kind=form.cleaned_data["kind"], params=form.run_params(),
                                         actor=request.user)  # fmt: skip
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"Queued {run.kind} on {cluster.name}.")
            return redirect("frontend:run", pk=run.pk)
    selected = form["kind"].value()
    kind = next((k for k in kinds if k.name == selected), None)
    return render(request, "frontend/run_start.html", {"cluster": cluster, "form": form, "kind": kind,
                                                        "kinds": kinds})  # fmt: skip
