"""Publishing a challenge's final results: the board, combined with the judges' scores.

Without judging (no finalists), the final ranking is the board: automatic score, ties
to the earlier entry. With judging, the top ``finalists_count`` rows of the board are
the finalists; each finalist's final score is

    final = (1 - judge_weight) * automatic + judge_weight * judges

where ``judges`` is the mean of every judge's rubric average (Originality, Balance,
Emotional on 1-5) mapped onto 0-100 (1 -> 0, 5 -> 100). Finalists rank above everyone
else, by final score (ties: the earlier entry); a finalist no judge scored has no judge
score and is ranked by the automatic score alone, after the judged finalists. The rest
follow in board order, their final score being the automatic one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.core.enqueue import task
from chartbusters.core.errors import ApplicationError
from chartbusters.judging.selectors import judge_scores_for
from chartbusters.leaderboards.models import FinalResult, LeaderboardEntry, RescoreRun
from chartbusters.leaderboards.services import NOTIFY_RESULTS_PUBLISHED, lock_board
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import SubmissionState


def leaderboard_publish_results(
    *, challenge: Challenge, now: datetime | None = None
) -> list[FinalResult]:
    """Host action: freeze the final ranking as it stands, reveal it, finish the challenge."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_board(challenge.pk)
        if locked.results_published:
            raise ApplicationError("The results are already published.", status=409)
        if now < locked.ends_at or locked.status == ChallengeStatus.DRAFT:
            raise ApplicationError("Results can be published once entries have closed.")
        if RescoreRun.objects.filter(challenge=locked, state=RescoreRun.State.RUNNING).exists():
            raise ApplicationError("Wait for the running rescore to finish.", status=409)
        if Submission.objects.filter(
            challenge=locked, state__in=[SubmissionState.QUEUED, SubmissionState.EVALUATING]
        ).exists():
            raise ApplicationError("Some entries are still being scored; publish later.")
        results = [
            FinalResult(challenge=locked, rank=rank, **fields)
            for rank, fields in enumerate(final_standings(locked), start=1)
        ]
        FinalResult.objects.bulk_create(results)
        locked.results_published_at = now
        locked.status = ChallengeStatus.FINISHED
        locked.save(update_fields=["results_published_at", "status", "updated_at"])
        task(NOTIFY_RESULTS_PUBLISHED).delay_on_commit(locked.pk)
    return results


def final_standings(challenge: Challenge) -> list[dict[str, object]]:
    """The final order: the automatic score, combined with the judges' for finalists."""
    return combined_standings(challenge)


def combined_standings(challenge: Challenge) -> list[dict[str, object]]:
    rows = list(
        LeaderboardEntry.objects.filter(challenge=challenge)
        .select_related("participant", "submission")
        .order_by("rank")
    )
    finalists = rows[: challenge.finalists_count] if challenge.has_judging else []
    judged = judge_scores_for(
        challenge=challenge, submission_ids=[row.submission_id for row in finalists]
    )
    weight = float(challenge.judge_weight)

    def final(row: LeaderboardEntry) -> float | None:
        judge = judged.get(row.submission_id)
        if judge is None or row.score is None:
            return row.score
        return round((1 - weight) * row.score + weight * judge, 2)

    def order(row: LeaderboardEntry) -> tuple[bool, float, int]:
        value = final(row)
        return (row.submission_id not in judged, -(value or 0.0), row.rank)

    ordered = sorted(finalists, key=order) + rows[len(finalists) :]
    return [
        {
            "participant": row.participant,
            "participant_name": row.participant.public_name,
            "submission": row.submission,
            "title": row.submission.title,
            "automatic_score": row.score,
            "judge_score": judged.get(row.submission_id),
            "final_score": final(row),
            "components": row.submission.components,
        }
        for row in ordered
    ]
