from __future__ import annotations

from celery import shared_task

from chartbusters.challenges.services import challenge_refresh_all_statuses


@shared_task(name="chartbusters.challenges.tasks.refresh_challenge_statuses")
def refresh_challenge_statuses() -> int:
    """Beat, every minute: open and close challenges by the clock (idempotent)."""
    return challenge_refresh_all_statuses()
