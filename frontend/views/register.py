"""Registering clusters: by fields, or from a kubeconfig in two steps (read the contexts, then import).

Between the two steps the kubeconfig travels back to the browser encrypted with the server's credential key
(Fernet, authenticated, valid for an hour), so no credential is ever shown in a page or stored half-way.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import OPERATOR
from clusters import kubeconfig
from clusters import services as cluster_services
from clusters.encryption import cipher
from clusters.models import Cluster
from cnimgr.api.errors import ServiceError
from frontend.forms import ClusterForm, KubeconfigUploadForm, apply_service_error, parse_labels
from frontend.views.common import role_required

BLOB_TTL_SECONDS = 3600
ALL = "__all__"


def _seal(text: bytes | str) -> str:
    return cipher().encrypt(text if isinstance(text, bytes) else text.encode()).decode()


def _unseal(blob: str) -> bytes:
    return cipher().decrypt(blob.encode(), ttl=BLOB_TTL_SECONDS)


@require_http_methods(["GET", "POST"])
@role_required(OPERATOR)
def cluster_new(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("mode", "kubeconfig")
    form = ClusterForm(request.POST or None)
    if request.method == "POST":
        mode = "fields"
        if form.is_valid():
            try:
                cluster = cluster_services.create_cluster(actor=request.user, name=form.cleaned_data["name"],
                                                          **form.service_fields())  # fmt: skip
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, f"Registered cluster {cluster.name}. Run a connectivity check next.")
                return redirect("frontend:cluster", name=cluster.name)
    context = {"mode": mode, "form": form, "upload": KubeconfigUploadForm()}
    return render(request, "frontend/cluster_new.html", context)


def _preview(candidates: list[kubeconfig.ContextCandidate], prefix: str) -> list[dict]:
    names = [kubeconfig.slug(prefix + c.name) for c in candidates]
    existing = set(Cluster.objects.filter(name__in=names).values_list("name", flat=True))
    rows = []
    for candidate, name in zip(candidates, names, strict=True):
        problem, hint = candidate.problem, candidate.hint
        if not problem and name in existing:
            problem, hint = f"a cluster named '{name}' exists already", "Use a name prefix, or rename that cluster."
        rows.append({"context": candidate.context, "name": name, "server": candidate.server,
                     "credential_kind": candidate.credential_kind, "usable": not problem,
                     "problem": problem, "hint": hint})  # fmt: skip
    return rows


def _render_preview(request: HttpRequest, blob: str, text: bytes | str, labels: str, prefix: str,
                    selected: str = "", error: ServiceError | None = None) -> HttpResponse:  # fmt: skip
    rows = _preview(kubeconfig.parse(text), prefix)
    usable = [r for r in rows if r["usable"]]
    if not selected:
        selected = ALL if len(usable) != 1 else usable[0]["context"]
    context = {"blob": blob, "rows": rows, "usable": usable, "refused": [r for r in rows if not r["usable"]],
               "labels": labels, "name_prefix": prefix, "selected": selected, "ALL": ALL, "error": error}  # fmt: skip
    return render(request, "frontend/kubeconfig_preview.html", context)


@require_POST
@role_required(OPERATOR)
def kubeconfig_read(request: HttpRequest) -> HttpResponse:
    """Step 1: read the file and list its contexts, usable or refused with the reason and what to do."""
    upload = KubeconfigUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        text = upload.text()
        try:
            kubeconfig.parse(text)
        except kubeconfig.KubeconfigError as exc:
            upload.add_error(None, f"This kubeconfig cannot be read: {exc}.")
        else:
            return _render_preview(request, _seal(text), text, request.POST.get("labels", ""),
                                   upload.cleaned_data["name_prefix"])  # fmt: skip
    return render(request, "frontend/cluster_new.html", {"mode": "kubeconfig", "form": ClusterForm(),
                                                          "upload": upload})  # fmt: skip


@require_POST
@role_required(OPERATOR)
def kubeconfig_import(request: HttpRequest) -> HttpResponse:
    """Step 2: import the chosen context, or all usable ones, and show what was imported and what was refused."""
    try:
        text = _unseal(request.POST.get("blob", ""))
    except InvalidToken:
        messages.error(request, "That kubeconfig upload has expired or was altered. Please upload it again.")
        return redirect("frontend:cluster-new")
    labels_raw, prefix = request.POST.get("labels", ""), request.POST.get("name_prefix", "").strip()
    selected = request.POST.get("context", "")
    try:
        labels = parse_labels(labels_raw)
    except ValidationError as exc:
        error = ServiceError(" ".join(exc.messages), fields={"labels": exc.messages})
        return _render_preview(request, request.POST["blob"], text, labels_raw, prefix, selected, error)
    try:
        result = cluster_services.import_kubeconfig(
            actor=request.user, text=text, context="" if selected == ALL else selected, import_all=selected == ALL,
            labels=labels, name_prefix=prefix,
        )  # fmt: skip
    except ServiceError as exc:
        return _render_preview(request, request.POST["blob"], text, labels_raw, prefix, selected, exc)
    imported = result["imported"]
    if imported:
        messages.success(request, f"Imported {len(imported)} cluster{'s' if len(imported) != 1 else ''}.")
    return render(request, "frontend/kubeconfig_result.html", {"imported": imported, "refused": result["refused"]})
