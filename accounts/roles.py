"""Three roles, kept as Django groups. Each role includes the ones below it."""

from __future__ import annotations

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"
ORDER = (VIEWER, OPERATOR, ADMIN)


def ensure_role_groups(**_kwargs) -> None:
    from django.contrib.auth.models import Group

    for name in ORDER:
        Group.objects.get_or_create(name=name)


def role_of(user) -> str | None:
    """The highest role the user holds, or None."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_cnimgr_role", False)  # one query per request, not one per check
    if cached is not False:
        return cached
    role = None
    if user.is_superuser:
        role = ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((r for r in reversed(ORDER) if r in names), None)
    user._cnimgr_role = role
    return role


def has_role(user, required: str) -> bool:
    held = role_of(user)
    return held is not None and ORDER.index(held) >= ORDER.index(required)
