"""Reads for submissions."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min, QuerySet

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.services import start_of_utc_day
from chartbusters.submissions.states import SubmissionState


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


def scoring_waiting_since() -> datetime | None:
    """When the oldest entry still waiting for a scoring worker was published."""
    return Submission.objects.filter(state=SubmissionState.QUEUED).aggregate(
        since=Min("published_at")
    )["since"]


def audio_waiting_since() -> datetime | None:
    """When the oldest render still waiting for a worker was queued."""
    return Submission.objects.filter(audio_state=AudioState.PENDING).aggregate(
        since=Min("audio_queued_at")
    )["since"]
