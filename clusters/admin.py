from django.contrib import admin

from clusters.models import Cluster
from cnimgr.admin import ReadOnlyAdminMixin


@admin.register(Cluster)
class ClusterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Registration and edits go through the dashboard or the API (validation, encryption, audit in one place)."""

    list_display = ("name", "server", "enabled", "kubernetes_version", "cni_version", "control_plane_version")
    search_fields = ("name", "display_name")
    exclude = ("token", "client_key")  # secrets are write-only, through the API or the pages
    readonly_fields = ("observed", "observed_at")
