"""The competition tests run with quick password hashing and their own media folder; their
fixtures (actors, challenges, a real judge) are in tests/chartbusters/conftest.py and
their builders (pieces, entries, reports) in tests/chartbusters/builders.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sandboxed(fast_passwords: None, media_in_tmp: None) -> None:
    """Every test here hashes passwords quickly and keeps its uploads in a fresh folder."""
