"""Template context available on every dashboard page."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import ADMIN, OPERATOR, has_role, role_of


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "current_role": role_of(user) if user else None,
        "can_operate": bool(user) and has_role(user, OPERATOR),
        "can_admin": bool(user) and has_role(user, ADMIN),
    }
