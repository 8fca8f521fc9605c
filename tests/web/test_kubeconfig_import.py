"""Registering clusters from a kubeconfig: contexts listed first, refusals with reason and hint."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clusters.models import Cluster
from tests.kubeconfigs import kubeconfig

pytestmark = pytest.mark.django_db

EXEC_USER = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": ["eks"]}}
TOKEN = "kubeconfig-token-0123456789"


def mixed_kubeconfig() -> str:
    return kubeconfig({"eks-prod": EXEC_USER, "kind-dev": {"token": TOKEN}, "gke-stage": {"token": TOKEN + "x"}})


def blob_of(html: str) -> str:
    return re.search(r'name="blob" value="([^"]+)"', html).group(1)


def test_preview_lists_contexts_and_shows_refusals(operator):
    response = operator.post(reverse("frontend:kubeconfig-read"), {
        "file": SimpleUploadedFile("config", mixed_kubeconfig().encode()), "labels": "env=dev",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 contexts" in page and "2 usable" in page and "1 refused" in page
    assert "exec plugin `aws`" in page and "cnimgr never runs commands" in page
    assert "kubectl create token cnimgr" in page  # the hint
    assert TOKEN not in page  # the kubeconfig travels back encrypted only
    assert 'value="__all__"' in page and "checked" in page


def test_import_all_shows_what_was_refused(operator):
    preview = operator.post(reverse("frontend:kubeconfig-read"), {"kubeconfig": mixed_kubeconfig()}).content.decode()
    response = operator.post(reverse("frontend:kubeconfig-import"), {
        "blob": blob_of(preview), "context": "__all__", "labels": "env=dev, team=payments", "name_prefix": "",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert sorted(Cluster.objects.values_list("name", flat=True)) == ["gke-stage", "kind-dev"]
    assert Cluster.objects.get(name="kind-dev").labels == {"env": "dev", "team": "payments"}
    assert "Refused (1)" in page and "eks-prod" in page and "kubectl create token" in page
    assert "Check connectivity on 2 new clusters" in page
    assert TOKEN not in page


def test_import_one_context(operator):
    preview = operator.post(reverse("frontend:kubeconfig-read"), {"kubeconfig": mixed_kubeconfig()}).content.decode()
    operator.post(reverse("frontend:kubeconfig-import"), {"blob": blob_of(preview), "context": "kind-dev",
                                                          "name_prefix": "lab-"})  # fmt: skip
    assert list(Cluster.objects.values_list("name", flat=True)) == ["lab-kind-dev"]


def test_choosing_a_refused_context_explains_why(operator):
    preview = operator.post(reverse("frontend:kubeconfig-read"), {"kubeconfig": mixed_kubeconfig()}).content.decode()
    response = operator.post(reverse("frontend:kubeconfig-import"), {"blob": blob_of(preview), "context": "eks-prod"})
    page = response.content.decode()
    assert "cannot be imported" in page and "What to do:" in page
    assert not Cluster.objects.exists()


def test_unreadable_kubeconfig_and_tampered_blob(operator):
    bad = operator.post(reverse("frontend:kubeconfig-read"), {"kubeconfig": "clusters: [oops"}).content.decode()
    assert "cannot be read" in bad and "not valid YAML" in bad
    empty = operator.post(reverse("frontend:kubeconfig-read"), {}).content.decode()
    assert "Choose a kubeconfig file or paste" in empty
    tampered = operator.post(reverse("frontend:kubeconfig-import"), {"blob": "gAAAA-forged", "context": "__all__"},
                             follow=True).content.decode()  # fmt: skip
    assert "expired or was altered" in tampered
