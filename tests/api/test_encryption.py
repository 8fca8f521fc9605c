import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from clusters.encryption import _multifernet
from clusters.models import Cluster
from tests.factories import ClusterFactory

pytestmark = pytest.mark.django_db


def stored(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM clusters_cluster WHERE name = %s", [name])
        return cursor.fetchone()[0]


def test_key_rotation_reencrypts_with_the_newest_key(settings):
    old_key = settings.ENCRYPTION_KEYS[0]
    ClusterFactory(name="rot", token="rotate-me-secret-0001")
    before = stored("rot")
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    _multifernet.cache_clear()
    assert Cluster.objects.get(name="rot").token == "rotate-me-secret-0001"  # old key still decrypts
    call_command("rotate_encryption_keys")
    after = stored("rot")
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()) == b"rotate-me-secret-0001"
    settings.ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    _multifernet.cache_clear()
    assert Cluster.objects.get(name="rot").token == "rotate-me-secret-0001"


def test_missing_key_gives_a_clear_error(settings):
    ClusterFactory(name="lost", token="lost-secret-value-01")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    _multifernet.cache_clear()
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="key that encrypted it is missing"):
        Cluster.objects.get(name="lost")
    _multifernet.cache_clear()
