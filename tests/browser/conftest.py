"""Headless-Chromium fixtures for the dashboard's end-to-end tests.

Playwright's sync API drives Debian's Chromium (Playwright cannot download its own browsers here) against
pytest-django's `live_server`. Chromium is started once for the package; every test gets a fresh context
(cookies, time zone, viewport), which also checks on teardown that no page raised a JavaScript error and that
nothing was fetched from anywhere but the live server (the dashboard must work with no CDN and no network).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.factories import UserFactory

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium phones home at start-up and the closed network refuses it noisily.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
WAIT_MS = 10_000  # the longest any expected change may take to show (the run page polls every 2 s)
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str:
    wanted = os.environ.get("CNIMGR_CHROMIUM", "/usr/bin/chromium")
    found = wanted if os.path.isfile(wanted) and os.access(wanted, os.X_OK) else shutil.which(wanted)
    if not found:
        pytest.fail(
            f"Chromium not found at {wanted!r} (CNIMGR_CHROMIUM). The browser tests need it: "
            "`apt-get install chromium`, or point CNIMGR_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One Chromium for the package's tests, closed when they are done.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it is alive, and Django
    refuses ORM calls when it sees one. The test code and Playwright take turns in the one thread (Playwright's
    greenlet runs only inside its calls), so the ORM is safe here: allow it, for this package only, and stop
    Playwright at the package's end so the rest of the suite runs with Django's check in force.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            try:
                chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            except PlaywrightError as exc:
                pytest.fail(f"Chromium at {executable} did not start ({exc}). "
                            "Reinstall it: `apt-get install chromium`.", pytrace=False)  # fmt: skip
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


class Problems:
    """What the pages of one context did wrong: JavaScript errors, requests that left the live server."""

    def __init__(self, origin: str):
        self.origin = origin
        self.js_errors: list[str] = []
        self.foreign_requests: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.js_errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.js_errors.append(f"{page.url}: {msg.text}"))

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(request.url)


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable]:
    """`new_context(timezone_id="Asia/Tokyo", viewport={...})` -> a browser context on the live server."""
    opened: list[tuple] = []

    def make(**options):
        options = {"locale": "en-US", "timezone_id": "UTC", **options}
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(WAIT_MS)
        problems = Problems(live_server.url)
        context.on("page", problems.watch)
        context.on("request", problems.on_request)
        opened.append((context, problems))
        return context

    yield make
    failures = []
    for context, problems in opened:
        context.close()
        failures += [f"JavaScript error: {e}" for e in problems.js_errors]
        failures += [f"request left the live server: {u}" for u in problems.foreign_requests]
    assert not failures, "\n".join(failures)


@pytest.fixture
def page_as(new_context, live_server) -> Callable:
    """`page_as("operator", timezone_id=...)` -> (page, user): a fresh user with that role, already logged in.

    The session is made server-side (the login form has its own test), so each test starts on the page it is about.
    """

    def make(role: str | None, **context_options):
        user = UserFactory(role=role)
        client = Client()
        client.force_login(user)
        context = new_context(**context_options)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return context.new_page(), user

    return make
