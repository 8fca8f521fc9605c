from pathlib import Path

from lifecycle.permissions import REQUIRED_RULES, access_checks, cluster_role

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_docs_list_every_required_permission():
    text = DOC.read_text()
    for rule in REQUIRED_RULES:
        assert ", ".join(rule.resources) in text and ", ".join(rule.verbs) in text, rule


def test_cluster_role_holds_exactly_the_checked_permissions():
    granted = {(verb, rule["apiGroups"][0], res) for rule in cluster_role()["rules"] for res in rule["resources"]
               for verb in rule["verbs"]}  # fmt: skip
    assert granted == set(access_checks())
