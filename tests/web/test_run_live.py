"""The run page's live output: the polled partial returns only new events and stops when the run is done."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from operations.models import Run
from operations.services import append_event

pytestmark = pytest.mark.django_db


def events_url(run, **query) -> str:
    from urllib.parse import urlencode

    return reverse("frontend:run-events", args=[run.pk]) + "?" + urlencode(query)


def test_partial_returns_only_events_after_the_given_seq(viewer, run):
    for i in range(1, 6):
        append_event(run.pk, f"line number {i}", step="checks")
    html = viewer.get(events_url(run, after=3, state="running", done=2, step="checks", cancel=0)).content.decode()
    assert "line number 4" in html and "line number 5" in html
    assert "line number 3" not in html and "line number 1" not in html
    assert 'hx-swap-oob="beforeend:#run-events"' in html
    assert 'id="run-header"' not in html  # nothing changed: the header is not re-sent
    poller = re.search(r'<div id="run-poller" hx-get="([^"]+)" hx-trigger="([^"]+)"', html)
    assert "after=5" in poller.group(1).replace("&amp;", "&") and poller.group(2) == "every 2s"


def test_header_is_resent_when_the_state_changes_and_polling_stops(viewer, run):
    append_event(run.pk, "one", step="checks")
    Run.objects.filter(pk=run.pk).update(state="succeeded", progress_done=5)
    first = viewer.get(events_url(run, after=1, state="running", done=2, step="checks", cancel=0)).content.decode()
    assert 'id="run-header"' in first and 'hx-swap-oob="true"' in first and "badge state-succeeded" in first
    assert "finished=1" in first  # one more poll picks up events written just after the end
    last = viewer.get(events_url(run, after=1, state="succeeded", done=5, step="checks", cancel=0,
                                 finished=1)).content.decode()  # fmt: skip
    assert 'class="stopped"' in last and "hx-trigger" not in last


def test_run_page_polls_only_while_active(viewer, run):
    append_event(run.pk, "first", step="observe", data={"nodes": 3})
    append_event(run.pk, "boom", level="error", step="checks")
    page = viewer.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "after=2" in page
    assert "step-failed" in page  # the step timeline marks the step that logged an error
    Run.objects.filter(pk=run.pk).update(
        state="errored", error="KeyError: 'x'", hint="Report it", traceback="Traceback (most recent call last):\n  ..."
    )
    done = viewer.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert "hx-trigger" not in done.split('id="run-events"')[1]
    assert '<details class="traceback">' in done and "Report it" in done


def test_catching_up_on_many_events_polls_at_once(viewer, run):
    from operations.models import RunEvent

    RunEvent.objects.bulk_create(RunEvent(run=run, seq=i, message=f"m{i}") for i in range(1, 1203))
    Run.objects.filter(pk=run.pk).update(state="succeeded")
    page = viewer.get(reverse("frontend:run", args=[run.pk])).content.decode()
    assert "m1000<" in page and "m1001<" not in page
    assert 'hx-trigger="load"' in page and "after=1000" in page
    partial = viewer.get(events_url(run, after=1000, state="succeeded", done=0, step="", cancel=0,
                                    finished=1)).content.decode()  # fmt: skip
    assert "m1001<" in partial and "m1202<" in partial and "m1000<" not in partial
