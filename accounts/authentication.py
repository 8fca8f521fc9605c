from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import TOKEN_PREFIX, ApiToken


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer cnm_<key id>_<secret>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            return None
        raw = parts[1]
        if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
            raise exceptions.AuthenticationFailed("Malformed API token.")
        key_id, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
        token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed("Invalid API token.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed("API token expired or revoked; create a new one under auth/tokens/.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # throttled: not a write per request
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
