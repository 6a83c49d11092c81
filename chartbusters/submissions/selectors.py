"""Reads for submissions."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.services import start_of_utc_day


def submission_list_for_participant(
    *, user: User, challenge: Challenge | None = None
) -> QuerySet[Submission]:
    """A participant's own entries, newest first, with their challenge."""
    entries = Submission.objects.filter(participant=user).select_related("challenge")
    if challenge is not None:
        entries = entries.filter(challenge=challenge)
    return entries.defer("fingerprint", "details").order_by("-created_at", "-id")


def quota_left(*, user: User, challenge: Challenge, now: datetime) -> dict[str, int]:
    counted = Submission.objects.filter(
        challenge=challenge, participant=user, counts_against_quota=True
    )
    total = counted.count()
    today = counted.filter(created_at__gte=start_of_utc_day(now)).count()
    return {
        "today": max(0, min(challenge.daily_quota - today, challenge.total_quota - total)),
        "total": max(0, challenge.total_quota - total),
    }
