"""Writes to leaderboards: the maintained board (rescores are in ``rescore``; publishing
the final results, which brings in the judges, in ``judging.results``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from chartbusters.challenges.models import Challenge
from chartbusters.challenges.services import challenge_board_changed
from chartbusters.leaderboards import ranking
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import rankable
from chartbusters.submissions.states import SubmissionState

NOTIFY_RESULTS_PUBLISHED = "chartbusters.leaderboards.tasks.notify_results_published"


def lock_board(challenge_id: int) -> Challenge:
    """Serialise rank maintenance per challenge by locking the challenge row."""
    return Challenge.objects.select_for_update().get(pk=challenge_id)


def ranked_submissions(
    challenge_id: int, participant_id: int | None = None
) -> QuerySet[Submission]:
    """Entries that may rank: scored, not flagged as copies, not disqualified, and made
    as the challenge's provenance rule asks (a claim still being verified waits)."""
    entries = Submission.objects.filter(
        rankable(),
        challenge_id=challenge_id,
        state=SubmissionState.SCORED,
        ranked=True,
        disqualified_at__isnull=True,
    )
    if participant_id is not None:
        entries = entries.filter(participant_id=participant_id)
    return entries


def leaderboard_refresh_participant(*, challenge_id: int, participant_id: int) -> None:
    """Put the participant's best ranked entry on the board (or take them off it).

    Must run inside the transaction that changed the participant's entries, so the
    board changes with them or not at all. Every scored entry comes through here, so
    the statements are few and do not grow with the board or the participant's entries.
    """
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    # Bumping the board's version updates the challenge row, which takes the row lock
    # ``lock_board`` would: one statement serialises rank maintenance and bumps it.
    challenge_board_changed(challenge_ids=[challenge_id])
    best = _best_of(challenge_id, participant_id)
    row = (
        LeaderboardEntry.objects.select_for_update()
        .filter(challenge_id=challenge_id, participant_id=participant_id)
        .first()
    )
    old = ranking.key_of(row) if row else None
    new = ranking.Key(best.score, best.created_at, best.pk) if best else None
    ranking.move(challenge_id, participant_id, old, new)
    if best is None:
        if row is not None:
            row.delete()
        return
    assert new is not None
    if row is None or old != new:  # unmoved, its stored rank is right (``ranking.move``)
        row = row or LeaderboardEntry(challenge_id=challenge_id, participant_id=participant_id)
        row.rank = ranking.rank_of(challenge_id, participant_id, new)
    row.submission = best
    row.score = best.score
    row.realism = best.components.get("realism")
    row.typicality = best.components.get("typicality")
    row.frechet = best.components.get("frechet")
    row.submitted_at = best.created_at
    row.entries_count = best.entries  # type: ignore[attr-defined]
    row.save()


def _best_of(challenge_id: int, participant_id: int) -> Submission | None:
    """The participant's best ranked entry, with ``entries`` (their ranked entries in
    all), in one query; None when they have none."""
    best_first = [F("score").desc(nulls_last=True), F("created_at").asc(), F("id").asc()]
    return (
        ranked_submissions(challenge_id, participant_id)
        .annotate(entries=Window(Count("id")))
        .order_by(*best_first)
        .only("id", "score", "components", "created_at")
        .first()
    )


def _best_per_participant(challenge_id: int) -> list[Submission]:
    """Each participant's best ranked entry, with ``entries`` (their ranked entries in
    all), in one set-based query: the same choice as ``leaderboard_refresh_participant``."""
    best_first = [F("score").desc(nulls_last=True), F("created_at").asc(), F("id").asc()]
    by_participant = [F("participant_id")]
    return list(
        ranked_submissions(challenge_id)
        .annotate(
            place=Window(RowNumber(), partition_by=by_participant, order_by=best_first),
            entries=Window(Count("id"), partition_by=by_participant),
        )
        .filter(place=1)
        .only("id", "participant_id", "score", "components", "created_at")
    )


def leaderboard_rebuild(*, challenge_id: int) -> int:
    """Recompute a challenge's whole board from its entries; the number of rows.

    The board is maintained row by row as entries are scored; this rebuilds it in one
    pass, for repairs and bulk loads (imports, benchmarks). Same order and tie-break as
    ``ranking``; done under the board lock, so no score is recorded halfway through.
    """
    with transaction.atomic():
        lock_board(challenge_id)
        best = _best_per_participant(challenge_id)
        best.sort(key=lambda s: ranking.Key(s.score, s.created_at, s.pk).sort_tuple())
        LeaderboardEntry.objects.filter(challenge_id=challenge_id).delete()
        LeaderboardEntry.objects.bulk_create(
            [
                LeaderboardEntry(
                    challenge_id=challenge_id,
                    participant_id=entry.participant_id,
                    submission_id=entry.pk,
                    score=entry.score,
                    realism=entry.components.get("realism"),
                    typicality=entry.components.get("typicality"),
                    frechet=entry.components.get("frechet"),
                    submitted_at=entry.created_at,
                    rank=rank,
                    entries_count=entry.entries,  # type: ignore[attr-defined]
                )
                for rank, entry in enumerate(best, start=1)
            ],
            batch_size=2000,
        )
        challenge_board_changed(challenge_ids=[challenge_id])
    return len(best)
