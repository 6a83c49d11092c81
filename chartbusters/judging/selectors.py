"""Reads for judging: the finalists (anonymised) and the judges' combined scores."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, F, QuerySet

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.core.errors import ApplicationError
from chartbusters.judging.handles import finalist_handles
from chartbusters.judging.models import JudgeScore
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission


@dataclass(frozen=True)
class FinalistForJudge:
    """A finalist as a judge may know it. ``submission`` stays on the server: only
    ``label`` and ``handle`` (and the music, stripped of its metadata) go out."""

    label: str  # "Finalist A": all a judge learns about who made it
    handle: str  # random; shared with no public view
    submission: Submission
    my_score: JudgeScore | None


def challenges_judged_by(*, user: User) -> QuerySet[Challenge]:
    """The challenges ``user`` judges (drafts aside), the latest to close first."""
    return (
        Challenge.objects.filter(judges=user, finalists_count__gt=0)
        .exclude(status=ChallengeStatus.DRAFT)
        .order_by("-ends_at")
    )


def finalist_submissions(*, challenge: Challenge) -> list[Submission]:
    """The top ``finalists_count`` entries of the board."""
    if not challenge.has_judging:
        return []
    rows = (
        LeaderboardEntry.objects.filter(challenge=challenge)
        .select_related("submission")
        .order_by("rank")[: challenge.finalists_count]
    )
    return [row.submission for row in rows]


def finalists_for_judge(*, challenge: Challenge, judge: User) -> list[FinalistForJudge]:
    """The finalists in the order of their letters (a random order, fixed once made)."""
    entries = finalist_submissions(challenge=challenge)
    handles = finalist_handles(challenge=challenge, entries=entries)
    mine = {
        score.submission_id: score
        for score in JudgeScore.objects.filter(challenge=challenge, judge=judge)
    }
    finalists = [
        FinalistForJudge(
            handles[entry.pk].label, handles[entry.pk].handle, entry, mine.get(entry.pk)
        )
        for entry in entries
    ]
    return sorted(finalists, key=lambda f: handles[f.submission.pk].number)


def finalist_by_handle(finalists: list[FinalistForJudge], handle: str) -> FinalistForJudge:
    for finalist in finalists:
        if finalist.handle == handle:
            return finalist
    raise ApplicationError("No such finalist.", code="not_found", status=404)


def judge_scores_for(*, challenge: Challenge, submission_ids: list[int]) -> dict[int, float]:
    """Each judged finalist's judge score on 0-100: the mean over judges of their rubric
    average, mapped so that 1 -> 0 and 5 -> 100."""
    averages = (
        JudgeScore.objects.filter(challenge=challenge, submission_id__in=submission_ids)
        .values("submission_id")
        .annotate(mean=Avg((F("originality") + F("balance") + F("emotional")) / 3.0))
    )
    return {row["submission_id"]: round((float(row["mean"]) - 1) / 4 * 100, 2) for row in averages}
