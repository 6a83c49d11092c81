"""Writes to challenges: status changes by the clock and by host actions, and the
version of each board (bumped by whatever changes what the board shows)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.challenges.selectors import challenges_needing_refresh
from chartbusters.core.errors import ApplicationError

# Statuses the clock moves; draft and finished are left to hosts.
CLOCK_STATUSES = (ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN, ChallengeStatus.JUDGING)


def status_by_clock(challenge: Challenge, now: datetime) -> str:
    """Where the clock puts a challenge; draft and finished stay as they are."""
    if challenge.status not in CLOCK_STATUSES:
        return challenge.status
    if now < challenge.starts_at:
        return ChallengeStatus.SCHEDULED
    if now < challenge.ends_at:
        return ChallengeStatus.OPEN
    return ChallengeStatus.JUDGING


def challenge_refresh_status(*, challenge: Challenge, now: datetime | None = None) -> Challenge:
    """Move the challenge's status to where the clock says; returns it refreshed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        new_status = status_by_clock(locked, now)
        if new_status != locked.status:
            locked.status = new_status
            locked.save(update_fields=["status", "updated_at"])
    return locked


def challenge_refresh_all_statuses(*, now: datetime | None = None) -> int:
    """Refresh every challenge that is behind the clock; returns how many moved."""
    now = now or timezone.now()
    moved = 0
    for challenge in challenges_needing_refresh(now=now):
        before = challenge.status
        if challenge_refresh_status(challenge=challenge, now=now).status != before:
            moved += 1
    return moved


def challenge_schedule(*, challenge: Challenge, now: datetime | None = None) -> Challenge:
    """Host action: announce a draft. It opens and closes by the clock from then on."""
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status != ChallengeStatus.DRAFT:
            raise ApplicationError(f"“{locked}” is not a draft; it is {locked.status}.")
        locked.full_clean()
        locked.status = ChallengeStatus.SCHEDULED
        locked.save(update_fields=["status", "updated_at"])
    return challenge_refresh_status(challenge=locked, now=now)


def challenge_unschedule(*, challenge: Challenge) -> Challenge:
    """Host action: take an announced challenge back to draft, while it has no entries."""
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status not in (ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN):
            raise ApplicationError(f"“{locked}” is {locked.status}; it cannot go back to draft.")
        if locked.submissions.exists():
            raise ApplicationError(f"“{locked}” already has entries; it cannot go back to draft.")
        locked.status = ChallengeStatus.DRAFT
        locked.save(update_fields=["status", "updated_at"])
    return locked


def challenge_board_changed(*, challenge_ids: Iterable[int]) -> None:
    """What these challenges' boards show has changed: bump their versions, so no cached
    page of the old board is served again (``core.pagecache``). Call it inside the
    transaction that made the change, so the version moves with the change or not at all."""
    Challenge.objects.filter(pk__in=list(challenge_ids)).update(
        board_version=F("board_version") + 1, board_changed_at=timezone.now()
    )
