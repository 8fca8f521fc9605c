class ReadOnlyAdminMixin:
    """For models whose changes must go through the services (validation, encryption, audit) or never change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
