from django.contrib import admin

from operations.models import Run, RunEvent


class RunEventInline(admin.TabularInline):
    model = RunEvent
    extra = 0
    can_delete = False
    readonly_fields = ("seq", "created_at", "level", "step", "message", "data")


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "cluster_name", "state", "actor_username", "created_at", "finished_at")
    list_filter = ("state", "kind")
    readonly_fields = [f.name for f in Run._meta.fields]
    inlines = [RunEventInline]

    def has_delete_permission(self, request, obj=None):
        return False
