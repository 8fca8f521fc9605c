from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from audit.services import record


def _snapshot(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "user": token.user.get_username(),
        "key_id": token.key_id,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def issue_token(*, user, name: str, expires_in_days: int, actor) -> tuple[ApiToken, str]:
    with transaction.atomic():
        token, plaintext = ApiToken.issue(
            user=user, name=name, expires_at=timezone.now() + timedelta(days=expires_in_days)
        )
        record("token.create", token, actor=actor, after=_snapshot(token))
    return token, plaintext


def revoke_token(token: ApiToken, *, actor) -> ApiToken:
    with transaction.atomic():
        before = _snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoke", token, actor=actor, before=before, after=_snapshot(token))
    return token
