"""Test settings: SQLite by default, PostgreSQL/Redis when DATABASE_URL / CELERY_BROKER_URL are set (CI)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("CNIMGR_DATA_DIR", str(Path(tempfile.gettempdir()) / f"cnimgr-test-{os.getuid()}"))

from cnimgr.settings.base import *  # noqa: E402, F403
from cnimgr.settings.base import DATABASES  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests never see real passwords
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file (not memory) so real worker processes can share it; per process so parallel test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1000/min"}}  # noqa: F405

# Integration tests run real Celery workers against Redis (scripts/test.sh starts one when none is configured).
if os.environ.get("CNIMGR_TEST_REDIS_URL") and not os.environ.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["CNIMGR_TEST_REDIS_URL"]
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CNIMGR_LEASE_SECONDS = int(os.environ.get("CNIMGR_LEASE_SECONDS", "30"))
CNIMGR_QUEUED_RESEND_SECONDS = int(os.environ.get("CNIMGR_QUEUED_RESEND_SECONDS", "120"))
