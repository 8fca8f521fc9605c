from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent
from tests.factories import UserFactory


@pytest.mark.django_db
def test_token_is_shown_once_and_stored_hashed(client_as):
    client = client_as("operator")
    response = client.post("/api/v1/auth/tokens/", {"name": "pipeline", "expires_in_days": 7}, format="json")
    assert response.status_code == 201
    plaintext = response.json()["token"]
    assert plaintext.startswith("cnm_")
    stored = ApiToken.objects.get()
    assert plaintext.split("_", 2)[2] not in stored.digest
    listed = client.get("/api/v1/auth/tokens/").json()["results"][0]
    assert "token" not in listed and "digest" not in listed
    assert AuditEvent.objects.filter(action="token.create").count() == 1


@pytest.mark.django_db
def test_bearer_token_authenticates_and_expires():
    user = UserFactory(role="viewer")
    token, plaintext = ApiToken.issue(user=user, name="t", expires_at=timezone.now() + timedelta(days=1))
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get("/api/v1/clusters/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client.get("/api/v1/clusters/")
        assert response.status_code == 401
        assert "expired" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_wrong_or_revoked_token_is_refused(client_as):
    user = UserFactory(role="viewer")
    token, plaintext = ApiToken.issue(user=user, name="t", expires_at=timezone.now() + timedelta(days=1))
    wrong = plaintext[:-3] + "xyz"
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {wrong}").get("/api/v1/clusters/").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION="Bearer garbage").get("/api/v1/clusters/").status_code == 401
    owner = APIClient()
    owner.force_authenticate(user)
    assert owner.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/v1/clusters/").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke").exists()


@pytest.mark.django_db
def test_users_see_only_their_own_tokens_unless_admin():
    alice, bob, root = UserFactory(role="operator"), UserFactory(role="operator"), UserFactory(role="admin")
    ApiToken.issue(user=alice, name="a", expires_at=timezone.now() + timedelta(days=1))
    ApiToken.issue(user=bob, name="b", expires_at=timezone.now() + timedelta(days=1))
    for user, expected in ((alice, {"a"}), (bob, {"b"}), (root, {"a", "b"})):
        client = APIClient()
        client.force_authenticate(user)
        assert {t["name"] for t in client.get("/api/v1/auth/tokens/").json()["results"]} == expected
