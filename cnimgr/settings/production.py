"""Production: every secret from the environment, refusing to start without real keys."""

import os

os.environ.setdefault("CNIMGR_REQUIRE_KEYS", "true")

from cryptography.fernet import Fernet  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from cnimgr.settings.base import *  # noqa: E402, F403
from cnimgr.settings.base import ENCRYPTION_KEYS, SECRET_KEY, env  # noqa: E402

if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of at least 50 characters.")
if not ENCRYPTION_KEYS or not all(ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "CNIMGR_ENCRYPTION_KEYS must list one or more Fernet keys (newest first); "
        'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    )
for _key in ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError as exc:
        raise ImproperlyConfigured("CNIMGR_ENCRYPTION_KEYS holds a value that is not a valid Fernet key.") from exc

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Preloading binds the whole domain and its subdomains to HTTPS for browsers; that is the domain owner's decision.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOG_FORMAT = "json"
