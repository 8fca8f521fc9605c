from django.contrib import admin

from clusters.models import Cluster


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ("name", "server", "enabled", "kubernetes_version", "cni_version", "control_plane_version")
    search_fields = ("name", "display_name")
    exclude = ("token", "client_key")  # secrets are write-only, through the API or the pages
    readonly_fields = ("observed", "observed_at")

    # Registration and edits go through the dashboard or the API (validation, encryption, audit in one place).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
