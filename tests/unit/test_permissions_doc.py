from pathlib import Path

from lifecycle.permissions import access_checks, cluster_role, markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_docs_show_exactly_the_required_permissions():
    assert markdown_table() in DOC.read_text(), "regenerate the table in docs/permissions.md from markdown_table()"


def test_cluster_role_holds_exactly_the_checked_permissions():
    granted = {(verb, rule["apiGroups"][0], res) for rule in cluster_role()["rules"] for res in rule["resources"]
               for verb in rule["verbs"]}  # fmt: skip
    assert granted == set(access_checks())
