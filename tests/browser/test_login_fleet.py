"""Logging in through the form, and what the fleet page shows once in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.factories import ClusterFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OBSERVED = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fleet():
    ClusterFactory(
        name="prod-eu-1",
        display_name="Prod EU",
        cni_version="v1.6.0",
        observed_at=OBSERVED,
        reachable=True,
        labels={"env": "prod"},
    )
    ClusterFactory(
        name="prod-us-1",
        display_name="Prod US",
        cni_version="v1.6.0",
        observed_at=OBSERVED,
        reachable=True,
        labels={"env": "prod"},
    )
    ClusterFactory(name="stage-1", display_name="", cni_version="v1.5.1", observed_at=OBSERVED, reachable=False)
    ClusterFactory(name="lab-1", display_name="")  # registered, never checked


def test_log_in_with_the_form_and_see_the_fleet(new_context, live_server, fleet):
    UserFactory(username="ada", role="viewer")
    page = new_context().new_page()

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".who")).to_have_text("ada · viewer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("4 clusters")
    rows = page.locator("table.fleet tbody tr")
    expect(rows).to_have_count(4)
    for title in ("Prod EU", "Prod US", "stage-1", "lab-1"):
        expect(rows.get_by_role("link", name=title, exact=True)).to_be_visible()

    # The CNI version summary: a stacked bar (most common version first) and its legend.
    cni = page.locator("figure.versions").filter(has_text="CNI plugin version")
    bar = cni.locator(".stackbar")
    expect(bar).to_have_attribute("aria-label", "CNI plugin version: v1.6.0 2, v1.5.1 1, not checked yet 1")
    expect(cni.locator(".legend li")).to_have_text(["v1.6.0 2", "v1.5.1 1", "not checked yet 1"])
    total = bar.bounding_box()["width"]
    widths = [seg.bounding_box()["width"] / total for seg in bar.locator(".seg").all()]
    assert widths == pytest.approx([0.5, 0.25, 0.25], abs=0.02)
    expect(page.locator(".tile").filter(has_text="unreachable").locator("b")).to_have_text("1")

    # A viewer has no operator buttons.
    expect(page.get_by_role("link", name="Register clusters")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Check connectivity"))).to_have_count(0)

    # The legend filters the fleet by that version.
    cni.locator(".legend").get_by_role("link", name="v1.6.0 2").click()
    expect(page).to_have_url(re.compile(r"\?cni=v1\.6\.0$"))
    expect(page.locator(".chip").filter(has_text="CNI: v1.6.0")).to_be_visible()
    expect(rows).to_have_count(2)
    expect(rows.get_by_role("link", name="stage-1")).to_have_count(0)


def test_a_wrong_password_shows_an_error_and_no_session(new_context, live_server, fleet):
    UserFactory(username="ada", role="viewer")
    context = new_context()
    page = context.new_page()

    page.goto("/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".form-error")).to_contain_text("Please enter a correct username and password")
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_label("Username")).to_have_value("ada")  # kept, so only the password needs retyping
    expect(page.get_by_label("Password")).to_have_value("")
    assert "sessionid" not in {c["name"] for c in context.cookies()}
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    assert "prod-eu-1" not in page.content()
