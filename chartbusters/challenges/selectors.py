"""Reads for challenges."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus


def _viewer_is_host(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_host)


def challenge_list(*, user: User | None) -> QuerySet[Challenge]:
    """Every challenge the user may see: hosts see drafts too."""
    challenges = Challenge.objects.all()
    if not _viewer_is_host(user):
        challenges = challenges.exclude(status=ChallengeStatus.DRAFT)
    return challenges.order_by("-starts_at", "-id")


def challenge_list_open(*, now: datetime | None = None) -> QuerySet[Challenge]:
    """Taking entries right now, by the clock; the one closing soonest first."""
    now = now or timezone.now()
    return Challenge.objects.filter(
        status__in=[ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN],
        starts_at__lte=now,
        ends_at__gt=now,
    ).order_by("ends_at", "id")


def challenge_list_upcoming(*, now: datetime | None = None) -> QuerySet[Challenge]:
    """Announced and not started yet; the one starting soonest first."""
    now = now or timezone.now()
    return Challenge.objects.filter(
        status__in=[ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN], starts_at__gt=now
    ).order_by("starts_at", "id")


def challenge_list_past(*, now: datetime | None = None) -> QuerySet[Challenge]:
    now = now or timezone.now()
    return Challenge.objects.filter(
        Q(status__in=[ChallengeStatus.JUDGING, ChallengeStatus.FINISHED])
        | Q(status=ChallengeStatus.OPEN, ends_at__lte=now)
    ).order_by("-ends_at", "-id")


def challenges_needing_refresh(*, now: datetime) -> QuerySet[Challenge]:
    """Challenges whose stored status is behind the clock."""
    return Challenge.objects.filter(
        Q(status=ChallengeStatus.SCHEDULED, starts_at__lte=now)
        | Q(status__in=[ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN], ends_at__lte=now)
    )
