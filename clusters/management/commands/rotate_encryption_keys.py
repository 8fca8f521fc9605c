from django.core.management.base import BaseCommand
from django.db import connection, transaction

from audit.services import record
from clusters.encryption import rotate
from clusters.models import Cluster

ENCRYPTED_COLUMNS = ("token", "client_key")


class Command(BaseCommand):
    help = "Re-encrypt every stored credential with the first key of CNIMGR_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        table = Cluster._meta.db_table
        rotated = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for column in ENCRYPTED_COLUMNS:
                cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608 - fixed names
                for pk, token in cursor.fetchall():
                    cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [rotate(token), pk])  # noqa: S608
                    rotated += 1
            record("credentials.rotate", object_type="cluster", object_name="*",
                   after={"values_reencrypted": rotated})  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {rotated} credential values with the newest key"))
