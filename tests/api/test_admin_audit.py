import pytest
from django.contrib.auth.models import Group, User

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_change_in_the_admin_is_audited(client):
    admin = User.objects.create_superuser("root", password="root-password-123")
    target = UserFactory(role="viewer")
    client.force_login(admin)
    operator = Group.objects.get(name="operator")
    response = client.post(f"/admin/auth/user/{target.pk}/change/", {
        "username": target.username, "is_active": "on", "groups": [operator.pk],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    })  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="user.update")
    assert event.actor_username == "root" and event.object_name == target.username and "admin" in event.message


def test_clusters_are_read_only_in_the_admin(client):
    client.force_login(User.objects.create_superuser("root", password="root-password-123"))
    assert client.get("/admin/clusters/cluster/add/").status_code == 403
