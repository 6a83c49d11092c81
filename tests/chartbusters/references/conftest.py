"""Host-built judge tests: quick password hashing, their own media and judge folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _sandboxed(fast_passwords: None, media_in_tmp: None, settings: Any, tmp_path: Path) -> None:
    """Every test here keeps its built judges in a fresh folder."""
    settings.HOST_PROFILES_DIR = tmp_path / "judges"
