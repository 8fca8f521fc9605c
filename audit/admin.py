from django.contrib import admin

from audit.models import AuditEvent
from cnimgr.admin import ReadOnlyAdminMixin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("timestamp", "actor_username", "action", "object_type", "object_name", "cluster")
    list_filter = ("action", "object_type")
    search_fields = ("object_name", "actor_username", "request_id")
