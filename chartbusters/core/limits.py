"""Limits the user meets in several places: models, forms, serializers, services and the
pages' inputs (templates read them as ``limits.TITLE`` through ``limits_context``).

Changing one here changes it everywhere; a model's ``max_length`` then needs a migration.
"""

from __future__ import annotations

from typing import Any

TITLE = 120  # characters in an entry's or a composition's title
TEXT = 2000  # characters in a description, a judge's comment or a host's reason


def limits_context(request: Any) -> dict[str, dict[str, int]]:
    """The template context processor: ``limits.TITLE`` and ``limits.TEXT``."""
    return {"limits": {"TITLE": TITLE, "TEXT": TEXT}}
