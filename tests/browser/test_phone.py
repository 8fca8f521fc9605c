"""The dashboard on a phone (390x844): nothing wider than the screen, every action button within reach."""

from __future__ import annotations

import re
import struct

import pytest
from playwright.sync_api import expect

from operations.models import Run
from tests.factories import ClusterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits)."""
    return page.evaluate(
        "() => { const s = document.scrollingElement; return Math.max(0, s.scrollWidth - s.clientWidth - 1); }"
    )


def assert_reachable(page, locator) -> None:
    """Within the screen's width and clickable (visible, enabled, not covered by anything else)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"off-screen: {box}"
    locator.click(trial=True)  # Playwright's actionability checks without clicking


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_fleet_page_fits_a_phone(page_as, tmp_path):
    for i in range(6):
        ClusterFactory(
            name=f"production-europe-west-{i}", display_name=f"Production Europe West {i} (payments, primary)",
            server=f"https://api.production-europe-west-{i}.k8s.example-company.internal:6443",
            cni_version="v1.6.0" if i % 2 else "v1.5.1", kubernetes_version="v1.31.2", reachable=True,
            labels={"env": "prod", "region": "europe-west", "team": "payments-platform", "tier": "critical"},
        )  # fmt: skip
    page, _ = page_as("operator", **PHONE)

    page.goto("/")
    expect(page.locator("table.fleet tbody tr")).to_have_count(6)
    assert page.evaluate("window.innerWidth") == 390
    assert horizontal_overflow(page) == 0
    expect(page.locator("table.fleet thead")).to_be_hidden()  # the table turned into stacked cards
    register = page.get_by_role("link", name="Register clusters")
    check = page.get_by_role("button", name="Check connectivity on all 6 shown")
    for locator in (register, page.get_by_role("button", name="Filter"), check):
        assert_reachable(page, locator)

    shot = tmp_path / "fleet-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot.read_bytes())
    assert width == 390 and height >= 844

    # The bulk action works from the phone too.
    check.tap()
    expect(page).to_have_url(re.compile(r"/runs/\?kind=connectivity$"))
    expect(page.locator(".messages")).to_contain_text("Started 6 connectivity runs.")
    assert Run.objects.filter(kind="connectivity").count() == 6
    assert horizontal_overflow(page) == 0

    # A cluster's page: its run buttons are reachable and nothing overflows.
    page.goto("/clusters/production-europe-west-1/")
    buttons = page.locator(".run-buttons").get_by_role("button")
    assert buttons.count() >= 1
    for button in buttons.all():
        assert_reachable(page, button)
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(tmp_path / "cluster-phone.png"), full_page=True)

    # Start a run from there and stop it from its page: the stop button is within reach as well.
    buttons.first.tap()
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    cancel = page.get_by_role("button", name="Cancel")
    assert_reachable(page, cancel)
    assert horizontal_overflow(page) == 0
    cancel.tap()
    expect(page.locator("#run-header .badge")).to_have_text("Cancelled")
