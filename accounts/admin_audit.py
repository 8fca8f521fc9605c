"""Changes made in Django's admin pages are audited like those made through the API and the dashboard."""

from __future__ import annotations

from audit.services import record


class AuditedAdminMixin:
    """Hooks the admin's own change log: each addition, change and deletion also writes an AuditEvent."""

    def _audit(self, request, obj, action: str, message: str = "") -> None:
        record(f"{obj._meta.model_name}.{action}", obj, actor=request.user, message=f"via admin {message}".strip())

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "create")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "update", str(message)[:500])
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete")
        return super().log_deletions(request, queryset)
