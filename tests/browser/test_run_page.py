"""A run's page in the browser: live output without reloading, the end of polling, cancel and retry.

The test plays the worker: Celery is replaced by a no-op (tests/conftest.py), so the run stays queued until the
test claims it, writes its events and progress, and finishes it, all while the page is open.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from operations import services
from operations.models import Run, RunState
from tests.factories import ClusterFactory, RunFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUIET_MS = 3_000  # longer than the 2 s poll interval: a poller still running would be seen in this window


def events_partial(pk: int) -> re.Pattern:
    return re.compile(rf"/runs/{pk}/events/")


def wait_for_fill(page, fraction: float) -> None:
    """Wait until the progress bar's fill, as laid out (after its CSS transition), is `fraction` of its track."""
    page.wait_for_function("""(fraction) => {
        const fill = document.querySelector('#run-header .progress-fill');
        const track = document.querySelector('#run-header .progress-track');
        return Math.abs(fill.getBoundingClientRect().width / track.getBoundingClientRect().width - fraction) < 0.02;
    }""", arg=fraction, timeout=10_000)  # fmt: skip


def test_live_output_progress_and_the_end_of_polling(page_as, live_server):
    page, operator = page_as("operator")
    run = RunFactory(cluster=ClusterFactory(name="prod-eu-1"), kind="check", actor=operator,
                     actor_username=operator.username)  # fmt: skip
    run = services.claim(run.pk, "worker-test")
    assert run is not None

    page.goto(f"/runs/{run.pk}/")
    badge = page.locator("#run-header .badge")
    expect(badge).to_have_text("Running")
    expect(page.locator("#run-poller .live-dot")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.locator("#run-header .progress")).to_have_attribute("aria-valuenow", "0")
    lines = page.locator("#run-events li.event")
    expect(lines).to_have_count(0)

    # The worker writes: lines appear and the bar moves without a reload.
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    services.append_event(run.pk, "Connected to https://10.0.0.1:6443", step="observe")
    services.append_event(run.pk, "Kubernetes v1.31.2, 4 nodes", step="observe", data={"nodes": 4})
    Run.objects.filter(pk=run.pk).update(progress_done=1, progress_total=4, progress_step="observe")
    page.wait_for_selector("#run-events li.event >> text=Kubernetes v1.31.2, 4 nodes", timeout=10_000)
    expect(page.locator("#run-header .progress")).to_have_attribute("aria-valuenow", "25")
    expect(page.locator("#run-header .progress-text")).to_contain_text("25% · 1/4 · observe")
    wait_for_fill(page, 0.25)

    services.append_event(run.pk, "linkerd-cni DaemonSet ready on 4/4 nodes", step="apply")
    services.append_event(run.pk, "could not read the ConfigMap linkerd-config", level="warning", step="apply")
    Run.objects.filter(pk=run.pk).update(progress_done=3, progress_step="apply")
    page.wait_for_selector("#run-events li.event >> text=could not read the ConfigMap", timeout=10_000)
    expect(page.locator("#run-header .progress")).to_have_attribute("aria-valuenow", "75")
    wait_for_fill(page, 0.75)
    expect(page.locator("#run-events li.event.lvl-warning")).to_contain_text("linkerd-config")
    expect(page.locator("#run-header .steps .name")).to_have_text(["observe", "apply"])

    # Every line once, in order, with its time rewritten into the browser's zone like the rest of the page.
    expect(lines.locator(".seq")).to_have_text(["1", "2", "3", "4"])
    expect(page.locator("#run-events time:not([data-local])")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True

    # The end: the header says so, Retry replaces Cancel, and the polling stops.
    partial_requests: list[str] = []
    page.on("request", lambda r: events_partial(run.pk).search(r.url) and partial_requests.append(r.url))
    services.append_event(run.pk, "All checks passed", step="apply")
    assert services.finish(run, RunState.SUCCEEDED, summary={"result": "ok"})
    expect(badge).to_have_text("Succeeded", timeout=10_000)
    expect(page.locator("#run-header .progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator("#run-events li.event").last).to_contain_text("All checks passed")
    expect(page.locator("#run-poller.stopped")).to_be_attached(timeout=10_000)
    expect(page.locator("#run-poller .live-dot")).to_have_count(0)
    before_quiet = len(partial_requests)
    assert before_quiet >= 1  # the poller is what brought the end in
    page.wait_for_timeout(QUIET_MS)  # the one deliberate wait: proving that nothing happens takes time
    assert partial_requests[before_quiet:] == [], "the run page kept polling after the run finished"
    assert page.evaluate("window.__sameDocument") is True

    # Retry from the live-updated header works: it queues a new run and goes to it.
    page.get_by_role("button", name="Retry").click()
    expect(page).to_have_url(re.compile(rf"/runs/(?!{run.pk}/)\d+/$"))
    retry = Run.objects.get(retry_of=run)
    expect(page).to_have_url(f"{live_server.url}/runs/{retry.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"a retry of #{run.pk}")
    expect(page.locator("#run-header .badge")).to_have_text("Queued")


def test_waiting_message_shows_until_the_first_line(page_as):
    page, _ = page_as("viewer")
    run = RunFactory(cluster=ClusterFactory())
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator("#no-events")).to_have_text("Waiting for the worker…")
    assert page.locator("#no-events").is_visible(), "“Waiting for the worker…” is hidden on a run with no output"
    services.claim(run.pk, "worker-test")
    services.append_event(run.pk, "Started", step="observe")
    page.wait_for_selector("#run-events li.event >> text=Started", timeout=10_000)
    expect(page.locator("#no-events")).to_be_hidden()


def test_operator_cancels_a_queued_run(page_as, live_server):
    page, _ = page_as("operator")
    run = RunFactory(cluster=ClusterFactory(name="prod-eu-1"))
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator("#run-header .badge")).to_have_text("Queued")

    page.get_by_role("button", name="Cancel").click()

    expect(page.locator(".messages")).to_contain_text(f"Cancelled run #{run.pk} before it started.")
    expect(page).to_have_url(f"{live_server.url}/runs/{run.pk}/")  # redirected back after the POST
    expect(page.locator("#run-header .badge")).to_have_text("Cancelled")
    expect(page.locator("#run-header .callout")).to_contain_text("Cancelled: Cancelled before it started.")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.locator("#run-poller.stopped")).to_be_attached()
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED


def test_a_viewer_sees_no_cancel_button_and_cannot_cancel(page_as):
    page, _ = page_as("viewer")
    run = RunFactory(cluster=ClusterFactory())
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator("#run-header .badge")).to_have_text("Queued")
    expect(page.locator("#run-header button")).to_have_count(0)  # neither Cancel nor Retry

    # Nor through the endpoint, with the page's own CSRF token: the button's absence is not the only guard.
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.locator("body").get_attribute("hx-headers")).group(1)
    response = page.request.post(f"/runs/{run.pk}/cancel/", headers={"X-CSRFToken": token,
                                                                    "Referer": page.url})  # fmt: skip
    assert response.status == 403
    run.refresh_from_db()
    assert run.state == RunState.QUEUED
