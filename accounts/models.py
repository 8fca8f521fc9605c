from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "cnm_"


def digest(secret: str) -> str:
    # Tokens carry 256 random bits, so a plain hash is enough; no slow KDF is needed to resist guessing.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for automation. Only a hash is stored; the token is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=12, unique=True, help_text="Public part, used to find the token")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.key_id}_…)"

    @classmethod
    def issue(cls, *, user, name: str, expires_at) -> tuple[ApiToken, str]:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_id=key_id, digest=digest(secret), expires_at=expires_at)
        return token, f"{TOKEN_PREFIX}{key_id}_{secret}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.digest, digest(secret))
