"""Reads for leaderboards: pages of the maintained board, exports, final results."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.paginator import Page, Paginator
from django.db.models import F, Max, OrderBy, QuerySet
from django.utils.functional import cached_property

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

RANK_ORDER = (F("rank").asc(),)

# What a board row shows. Entries carry wide columns (the report's details, the novelty
# fingerprint) that a page of 50 rows would otherwise fetch and decode for nothing.
BOARD_FIELDS = (
    "challenge_id", "participant", "submission", "score", "realism", "typicality", "frechet",
    "submitted_at", "rank", "entries_count",
    "participant__username", "participant__display_name",
    "submission__uuid", "submission__challenge_id", "submission__participant_id",
    "submission__title", "submission__technique", "submission__likes_count",
    "submission__audio", "submission__audio_state",
    "submission__verification", "submission__hand_edited",
)  # fmt: skip


def leaderboard_rows(
    *, challenge: Challenge, sort: str = "rank", extra_fields: tuple[str, ...] = ()
) -> QuerySet[LeaderboardEntry]:
    """The board in the requested order (missing values last; ties by rank), loading
    ``BOARD_FIELDS`` and ``extra_fields`` only."""
    return (
        LeaderboardEntry.objects.filter(challenge=challenge)
        .select_related("participant", "submission")
        .only(*BOARD_FIELDS, *extra_fields)
        .order_by(*board_ordering(sort))
    )


def board_ordering(sort: str) -> list[OrderBy]:
    """The ORDER BY of a sort name: missing values last, ties by rank. Each default
    direction has an index (see the model), so a page is read off an index."""
    name = sort.lstrip("-")
    if name not in SORTS:
        raise ApplicationError(f"Sort by one of: {', '.join(SORTS)} (prefix - to reverse).")
    field, descending = SORTS[name]
    if sort.startswith("-"):
        descending = not descending
    elif name in ("rank", "score"):
        # The rank is the score order (higher first, missing last, earlier on a tie).
        return list(RANK_ORDER)
    column = F(field)
    return [
        column.desc(nulls_last=True) if descending else column.asc(nulls_last=True),
        F("rank").asc(),
    ]


def leaderboard_slice(
    rows: QuerySet[LeaderboardEntry], start: int, stop: int
) -> QuerySet[LeaderboardEntry]:
    """``rows[start:stop]`` as a deferred join: the page's ranks (unique in a board) are
    found on the board's indexes alone, and only those rows are joined to their entries and
    participants. Sliced plainly, PostgreSQL joins every row up to the offset and throws
    them away: a middle page of a 10,000-row board took 130 ms instead of a few.
    One query all the same (the ranks are a subquery).

    In rank order the page needs no offset at all: ranks are dense and unique (1 to n),
    so it is the range of ranks (start, stop], read off the (challenge, rank) index at
    any depth (a middle page of a 100,000-row board: 42 ms by offset)."""
    if tuple(rows.query.order_by) == RANK_ORDER:
        return rows.filter(rank__gt=start, rank__lte=stop)
    # The page's ranks, not its ids: the component indexes end with the rank, so the
    # offset is walked in the index alone (an index-only scan), where ids would fetch
    # every skipped row from the table (a middle page of 100,000 rows: 35 ms).
    page_ranks = rows.values("rank")[start:stop]
    return rows.filter(rank__in=page_ranks)


class BoardPaginator(Paginator):
    """Django's paginator, slicing the board with ``leaderboard_slice``."""

    object_list: QuerySet[LeaderboardEntry]

    @cached_property
    def count(self) -> int:
        """Ranks are dense and unique (1 to n, see the model), so the board's size is its
        highest rank, read off the (challenge, rank) index: COUNT(*) visits every row
        (about 10 ms at 100,000 rows)."""
        return int(self.object_list.aggregate(size=Max("rank"))["size"] or 0)

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = leaderboard_slice(self.object_list, bottom, top)
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


def leaderboard_export_rows(*, challenge: Challenge) -> Iterator[list[object]]:
    """CSV rows for hosts, header first: every component and the evaluator version."""
    yield [
        "rank", "participant", "email", "entry", "title", "technique", "score", "realism",
        "typicality", "frechet", "submitted_at", "evaluator_version", "ranked_entries",
        "verification", "hand_edited",
    ]  # fmt: skip
    rows = leaderboard_rows(
        challenge=challenge,
        extra_fields=("participant__email", "submission__evaluator_version"),
    ).iterator(chunk_size=2000)
    for row in rows:
        yield [
            row.rank, row.participant.username, row.participant.email, row.submission.uuid,
            row.submission.title, row.submission.technique, row.score, row.realism,
            row.typicality, row.frechet, row.submitted_at.isoformat(),
            row.submission.evaluator_version, row.entries_count,
            row.submission.verification, row.submission.hand_edited,
        ]  # fmt: skip


def final_results(*, challenge: Challenge) -> QuerySet[FinalResult]:
    return FinalResult.objects.filter(challenge=challenge).select_related("submission")
