"""The template context processor that puts "Judging" in the nav for judges."""

from __future__ import annotations

from typing import Any

from django.utils.functional import SimpleLazyObject

from chartbusters.accounts.models import User
from chartbusters.judging.selectors import challenges_judged_by


def judging_nav(request: Any) -> dict[str, Any]:
    """``is_judge``: whether the user judges any challenge. Lazy, so pages that never
    render the nav (JSON, downloads) make no query for it."""
    user = getattr(request, "user", None)

    def is_judge() -> bool:
        return isinstance(user, User) and challenges_judged_by(user=user).exists()

    return {"is_judge": SimpleLazyObject(is_judge)}
