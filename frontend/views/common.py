"""Helpers shared by the dashboard views: role checks, service errors, pagination."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse

from accounts.roles import VIEWER, has_role
from cnimgr.api.errors import ServiceError

View = Callable[..., HttpResponse]


def require_role(request: HttpRequest, role: str) -> None:
    """Raise 403 unless the user holds `role` (or a higher one)."""
    if not has_role(request.user, role):
        if role == VIEWER:
            raise PermissionDenied("Your account has no role yet. Ask an administrator to give you the viewer role.")
        raise PermissionDenied(f"This needs the {role} role.")


def role_required(role: str = VIEWER) -> Callable[[View], View]:
    """Login required, then the role: applies to every method of the view."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            require_role(request, role)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


viewer_required = role_required(VIEWER)


def flash_service_error(request: HttpRequest, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    if exc.hint:
        messages.info(request, exc.hint, extra_tags="hint")


def paginate(request: HttpRequest, queryset, per_page: int) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
