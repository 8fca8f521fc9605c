"""Times are sent as UTC `<time datetime>` and shown in the browser's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from playwright.sync_api import expect

from tests.factories import ClusterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 22:47 UTC on 10 March is 07:47 on 11 March in Tokyo (UTC+9, no daylight saving): hour and day both change.
OBSERVED = dt.datetime(2025, 3, 10, 22, 47, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_times_show_in_the_browsers_zone(page_as, zone):
    local = OBSERVED.astimezone(zoneinfo.ZoneInfo(zone))
    cluster = ClusterFactory(name="prod-eu-1", observed_at=OBSERVED, reachable=True)
    page, _ = page_as("viewer", timezone_id=zone)

    page.goto(f"/clusters/{cluster.name}/")
    observed = page.locator("time[datetime='2025-03-10T22:47:00Z']")
    expect(observed).to_have_count(1)
    expect(observed).to_have_attribute("data-local", "1")  # rewritten by app.js, not the server's UTC text
    text = observed.inner_text()  # e.g. "Mar 11, 2025, 07:47 AM" in Tokyo
    assert local.strftime("%I:%M") in text and local.strftime("%p") in text, text
    assert local.strftime("%b %-d, %Y") in text, text
    assert "UTC" not in text and "10:47" not in text, text
    title = observed.get_attribute("title")  # the full local date, and the exact UTC moment
    assert local.strftime("%B %-d, %Y") in title and "(2025-03-10T22:47:00Z)" in title, title
    expect(page.locator("footer [data-tz]")).to_have_text(zone)

    # The fleet page's "Reachable" column shows the same moment the same way.
    page.goto("/")
    expect(page.locator("table.fleet time")).to_have_text(text)
