from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, roles and API tokens"

    def ready(self):
        from django.db.models.signals import post_migrate

        import accounts.schema  # noqa: F401 - registers the OpenAPI security scheme
        from accounts.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
