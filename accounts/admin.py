from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from accounts.admin_audit import AuditedAdminMixin
from accounts.models import ApiToken

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "user", "key_id", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("key_id", "digest", "created_at", "last_used_at")
    fields = ("user", "name", "key_id", "created_at", "expires_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, which shows the secret once
