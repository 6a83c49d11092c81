"""The hardening tests run like the competition tests: quick password hashing and their own
media folder (test_permission_matrix keeps one folder for its module-wide world)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sandboxed(fast_passwords: None, media_in_tmp: None) -> None:
    """Every test here hashes passwords quickly and keeps its uploads in a fresh folder."""
