"""Role checks, declared per view: `roles = {"create": "operator", "destroy": "admin"}`.

Reads need viewer, writes need operator unless the view says otherwise.
"""

from __future__ import annotations

from rest_framework import permissions

from accounts.roles import OPERATOR, VIEWER, has_role


def required_role(view, request) -> str:
    declared = getattr(view, "roles", {})
    action = getattr(view, "action", None)
    if action in declared:
        return declared[action]
    if request.method in permissions.SAFE_METHODS:
        return declared.get("read", VIEWER)
    return declared.get("write", OPERATOR)


class RolePermission(permissions.BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        needed = required_role(view, request)
        allowed = has_role(request.user, needed)
        if not allowed:
            self.message = f"This needs the {needed} role."
        return allowed
