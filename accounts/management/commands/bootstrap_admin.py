import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts.roles import ADMIN, ensure_role_groups


class Command(BaseCommand):
    help = "Create the first admin if no user exists (password from CNIMGR_ADMIN_PASSWORD or generated)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("CNIMGR_ADMIN_USERNAME", "admin"))

    def handle(self, *args, username, **options):
        ensure_role_groups()
        users = get_user_model().objects
        if users.exists():
            self.stdout.write(f"users exist already; log in as before (admin user: {username})")
            return
        password = os.environ.get("CNIMGR_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = users.create_superuser(username=username, email="", password=password)
        user.groups.add(Group.objects.get(name=ADMIN))
        if os.environ.get("CNIMGR_ADMIN_PASSWORD"):
            self.stdout.write(f"created admin user '{username}' with the password from CNIMGR_ADMIN_PASSWORD")
        else:
            self.stdout.write(
                self.style.WARNING(f"created admin user '{username}' with password: {password}  (shown only once)")
            )
