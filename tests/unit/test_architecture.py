"""Boundaries the design depends on: the engine and the test bed stay free of Django."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["lifecycle", "testbed"])
def test_package_has_no_django_imports(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in
                                            {"django", "rest_framework", "celery", "clusters", "operations", "audit",
                                             "accounts", "frontend", "cnimgr"})
        for path in (ROOT / package).rglob("*.py")
    }  # fmt: skip
    assert {k: v for k, v in offenders.items() if v} == {}


def test_views_and_tasks_do_not_write_models_directly():
    """State changes go through services (which audit); views and tasks only call them."""
    writers = (".save(", ".delete(", ".objects.create(", ".update(")
    for path in [*(ROOT / "frontend" / "views").glob("*.py"), *ROOT.glob("*/api/views.py"), *ROOT.glob("*/tasks.py")]:
        text = path.read_text()
        for marker in writers:
            allowed = path.name == "tasks.py" and marker == ".update("  # bookkeeping of enqueued_at only
            assert allowed or marker not in text, f"{path.relative_to(ROOT)} uses {marker}; call a service instead"
