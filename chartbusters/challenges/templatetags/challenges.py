"""``{% challenge_lists %}``: the open and upcoming challenges, for the home page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from chartbusters.challenges.selectors import challenge_list_open, challenge_list_upcoming

register = template.Library()


@register.inclusion_tag("challenges/_home_lists.html")
def challenge_lists(limit: int = 6) -> dict[str, Any]:
    now = timezone.now()
    return {
        "now": now,
        "open": list(challenge_list_open(now=now)[:limit]),
        "upcoming": list(challenge_list_upcoming(now=now)[:limit]),
    }
