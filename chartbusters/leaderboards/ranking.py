"""The ranking order and the range updates that keep stored ranks right.

The order, documented for participants: higher score first; entries without a score
after all scored ones; on a tie, the entry submitted earlier wins (and, should two share
the very same instant, the one with the lower id). Ranks are therefore unique: 1..N.

When one participant's best entry changes, only the rows between its old and its new
place move by one; the rest of the board is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from chartbusters.leaderboards.models import LeaderboardEntry


@dataclass(frozen=True)
class Key:
    score: float | None
    submitted_at: datetime
    submission_id: int

    def sort_tuple(self) -> tuple[bool, float, datetime, int]:
        return (self.score is None, -(self.score or 0.0), self.submitted_at, self.submission_id)

    def is_better_than(self, other: Key) -> bool:
        return self.sort_tuple() < other.sort_tuple()


def key_of(entry: LeaderboardEntry) -> Key:
    return Key(entry.score, entry.submitted_at, entry.submission_id)


def _after_on_tie(key: Key) -> Q:
    return Q(submitted_at__gt=key.submitted_at) | Q(
        submitted_at=key.submitted_at, submission_id__gt=key.submission_id
    )


def _before_on_tie(key: Key) -> Q:
    return Q(submitted_at__lt=key.submitted_at) | Q(
        submitted_at=key.submitted_at, submission_id__lt=key.submission_id
    )


def better_than(key: Key) -> Q:
    """Rows ranked above ``key``."""
    if key.score is None:
        return Q(score__isnull=False) | (Q(score__isnull=True) & _before_on_tie(key))
    return Q(score__gt=key.score) | (Q(score=key.score) & _before_on_tie(key))


def worse_than(key: Key) -> Q:
    """Rows ranked below ``key``."""
    if key.score is None:
        return Q(score__isnull=True) & _after_on_tie(key)
    return (
        Q(score__isnull=True) | Q(score__lt=key.score) | (Q(score=key.score) & _after_on_tie(key))
    )


def move(challenge_id: int, participant_id: int, old: Key | None, new: Key | None) -> None:
    """Shift the other rows' ranks for one participant moving from ``old`` to ``new``
    (None: not on the board). The caller holds the challenge's board lock."""
    others = LeaderboardEntry.objects.filter(challenge_id=challenge_id).exclude(
        participant_id=participant_id
    )
    if old is None and new is None:
        return
    if old is None:
        assert new is not None
        others.filter(worse_than(new)).update(rank=F("rank") + 1)
    elif new is None:
        others.filter(worse_than(old)).update(rank=F("rank") - 1)
    elif new.is_better_than(old):
        others.filter(worse_than(new), better_than(old)).update(rank=F("rank") + 1)
    elif old.is_better_than(new):
        others.filter(worse_than(old), better_than(new)).update(rank=F("rank") - 1)


def rank_of(challenge_id: int, participant_id: int, key: Key) -> int:
    """1 + the rows above ``key`` (other than the participant's own)."""
    above = (
        LeaderboardEntry.objects.filter(challenge_id=challenge_id)
        .exclude(participant_id=participant_id)
        .filter(better_than(key))
        .count()
    )
    return above + 1
