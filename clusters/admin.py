from django.contrib import admin

from clusters.models import Cluster


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ("name", "server", "enabled", "kubernetes_version", "cni_version", "control_plane_version")
    search_fields = ("name", "display_name")
    exclude = ("token", "client_key")  # secrets are write-only, through the API or the pages
    readonly_fields = ("observed", "observed_at")
