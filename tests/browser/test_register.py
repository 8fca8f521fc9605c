"""Registering clusters by pasting a kubeconfig: the contexts, the refusals and why, the import, the fleet.

The token in the kubeconfig is a canary: no page the operator sees on the way may contain it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clusters.models import Cluster
from tests.factories import ClusterFactory
from tests.kubeconfigs import cert_user, kubeconfig

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANARY = "canary-token-7f3a9c1e5b2d4e6f8a0b"
EXEC_USER = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                      "args": ["eks", "get-token", "--cluster-name", "prod"]}}  # fmt: skip


class Pages:
    """Every page the browser shows, kept to check for the canary at the end."""

    def __init__(self, page):
        self.page = page
        self.seen: list[tuple[str, str]] = []

    def keep(self) -> None:
        self.seen.append((self.page.url, self.page.content()))

    def leaking(self, *secrets: str) -> list[str]:
        return [url for url, html in self.seen if any(s in html for s in secrets)]


def test_import_a_kubeconfig_through_the_page(page_as, live_server):
    ClusterFactory(name="existing-1")
    page, _ = page_as("operator")
    pages = Pages(page)
    cert = cert_user()
    text = kubeconfig({"kind-dev": {"token": CANARY}, "eks-prod": EXEC_USER, "lab-cert": cert})

    page.goto("/")
    page.get_by_role("link", name="Register clusters").click()
    expect(page.get_by_role("link", name="From a kubeconfig")).to_have_attribute("aria-current", "page")
    pages.keep()

    # A file that is not YAML: refused with the reason, and the pasted text is not echoed back.
    page.locator("#id_kubeconfig").fill(f"apiVersion: v1\nkind: Config\nusers:\n- user: {{token: {CANARY}\n")
    page.get_by_role("button", name="Read contexts").click()
    expect(page.locator(".form-error")).to_contain_text(
        "This kubeconfig cannot be read: the kubeconfig is not valid YAML"
    )
    expect(page.locator("#id_kubeconfig")).to_have_value("")
    pages.keep()

    # Step 1: the contexts, usable or refused with the reason and what to do.
    page.locator("#id_kubeconfig").fill(text)
    page.get_by_role("button", name="Read contexts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contexts in this kubeconfig")
    expect(page.locator("main")).to_contain_text("3 contexts: 2 usable, 1 refused.")
    refused = page.locator("tr.refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("eks-prod")
    expect(refused.locator(".refusal")).to_contain_text(
        "Refused: the user runs a command (exec plugin `aws`); cnimgr never runs commands"
    )
    expect(refused.locator(".hint")).to_contain_text("kubectl create token")
    expect(refused.locator("input[type=radio]")).to_have_count(0)  # cannot be chosen
    expect(page.get_by_label("All 2 usable contexts")).to_be_checked()
    pages.keep()

    # Choose one context; a bad label is refused without losing the choice.
    page.get_by_label("kind-dev").check()
    page.get_by_label("Labels for the imported clusters").fill("not a label")
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".form-error[role=alert]")).to_contain_text("is not key=value")
    expect(page.get_by_label("kind-dev")).to_be_checked()
    expect(page.get_by_label("Labels for the imported clusters")).to_have_value("not a label")
    assert not Cluster.objects.filter(name="kind-dev").exists()
    pages.keep()

    page.get_by_label("Labels for the imported clusters").fill("env=lab, team=net")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import result")
    expect(page.get_by_role("heading", name="Imported (1)")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Imported 1 cluster.")
    expect(page.get_by_role("link", name="kind-dev", exact=True)).to_be_visible()
    pages.keep()
    assert sorted(Cluster.objects.values_list("name", flat=True)) == ["existing-1", "kind-dev"]
    assert Cluster.objects.get(name="kind-dev").token == CANARY  # stored (encrypted), just never shown

    # The new cluster in the fleet: the result page's link filters to it, the full fleet lists it too.
    page.get_by_role("link", name="Show them in the fleet").click()
    expect(page).to_have_url(re.compile(r"/\?name=kind-dev$"))
    rows = page.locator("table.fleet tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("kind-dev")
    expect(rows.locator(".chip")).to_have_text(["env=lab", "team=net"])
    expect(rows).to_contain_text("not checked")
    pages.keep()
    page.get_by_role("link", name="Clear").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(rows).to_have_count(2)
    expect(rows.get_by_role("link", name="kind-dev", exact=True)).to_be_visible()
    expect(rows.get_by_role("link", name="lab-cert")).to_have_count(0)
    pages.keep()

    page.get_by_role("link", name="kind-dev", exact=True).click()
    expect(page.locator("dl.facts").filter(has_text="Bearer token")).to_contain_text("set")
    pages.keep()

    assert len(pages.seen) == 8
    client_key_b64 = cert["client-key-data"]
    assert pages.leaking(CANARY, client_key_b64[20:80]) == []
