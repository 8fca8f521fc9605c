"""Filters shared by the API and the pages."""

from __future__ import annotations

from datetime import UTC

import django_filters


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset Python accepts, compared in UTC: PostgreSQL refuses offsets beyond ±15:59."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)
