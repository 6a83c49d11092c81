"""The commit a profile or model is built from, for its meta file."""

from __future__ import annotations

import subprocess
from pathlib import Path


def source_revision() -> str:
    """The commit checked out, with ``-dirty`` if the tree had changes (``unknown``
    outside a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).parent,
        )
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"
