"""Local development and the embedded one-command mode."""

from cnimgr.settings.base import *  # noqa: F403
from cnimgr.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
