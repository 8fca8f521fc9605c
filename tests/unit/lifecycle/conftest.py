"""Fixtures for the engine's unit tests (no cluster, no Django).

Golden files: set CNIMGR_REGENERATE_GOLDEN=1 to rewrite tests/unit/lifecycle/golden/*.yaml from the current
renderer, then review the git diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.fixture
def golden():
    """golden(name, text): compare with golden/<name>, or rewrite it when regeneration is switched on."""

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if os.environ.get("CNIMGR_REGENERATE_GOLDEN") == "1":
            path.write_text(text)
            return
        assert path.exists(), f"{path} missing: run with CNIMGR_REGENERATE_GOLDEN=1"
        assert text == path.read_text(), f"render differs from {path}; regenerate if the change is intended"

    return check
