"""Reads for leaderboards: pages of the maintained board, exports, final results."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, QuerySet

from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.models import FinalResult, LeaderboardEntry

# name -> (field, higher is better). "rank" is the default: the documented order.
SORTS = {
    "rank": ("rank", False),
    "score": ("score", True),
    "realism": ("realism", True),
    "typicality": ("typicality", True),
    "frechet": ("frechet", True),
    "submitted": ("submitted_at", False),
}


def leaderboard_rows(*, challenge: Challenge, sort: str = "rank") -> QuerySet[LeaderboardEntry]:
    """The board in the requested order (missing values last; ties by rank)."""
    if sort.lstrip("-") not in SORTS:
        raise ApplicationError(f"Sort by one of: {', '.join(SORTS)} (prefix - to reverse).")
    field, descending = SORTS[sort.lstrip("-")]
    if sort.startswith("-"):
        descending = not descending
    column = F(field)
    ordering = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return (
        LeaderboardEntry.objects.filter(challenge=challenge)
        .select_related("participant", "submission")
        .order_by(ordering, "rank")
    )


def leaderboard_export_rows(*, challenge: Challenge) -> Iterator[list[object]]:
    """CSV rows for hosts, header first: every component and the evaluator version."""
    yield [
        "rank", "participant", "email", "entry", "title", "technique", "score", "realism",
        "typicality", "frechet", "submitted_at", "evaluator_version", "ranked_entries",
    ]  # fmt: skip
    rows = leaderboard_rows(challenge=challenge).iterator(chunk_size=2000)
    for row in rows:
        yield [
            row.rank, row.participant.username, row.participant.email, row.submission.uuid,
            row.submission.title, row.submission.technique, row.score, row.realism,
            row.typicality, row.frechet, row.submitted_at.isoformat(),
            row.submission.evaluator_version, row.entries_count,
        ]  # fmt: skip


def final_results(*, challenge: Challenge) -> QuerySet[FinalResult]:
    return FinalResult.objects.filter(challenge=challenge).select_related("submission")
