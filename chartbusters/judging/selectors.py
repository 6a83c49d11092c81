"""Reads for judging: the finalists (anonymised) and the judges' combined scores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db.models import Avg, F

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.judging.models import JudgeScore
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission


@dataclass(frozen=True)
class Finalist:
    label: str  # "Finalist A": all a judge learns about who made it
    submission: Submission
    my_score: JudgeScore | None


def _blind_order(challenge: Challenge, submission: Submission) -> str:
    """A stable order that reveals neither the rank nor the submission time."""
    return hashlib.sha256(f"{challenge.pk}:{submission.uuid}".encode()).hexdigest()


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


def finalists_for_judge(*, challenge: Challenge, judge: User) -> list[Finalist]:
    entries = sorted(
        finalist_submissions(challenge=challenge), key=lambda s: _blind_order(challenge, s)
    )
    mine = {
        score.submission_id: score
        for score in JudgeScore.objects.filter(challenge=challenge, judge=judge)
    }
    return [Finalist(_label(i), entry, mine.get(entry.pk)) for i, entry in enumerate(entries)]


def _label(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Finalist {letters}"


def judge_scores_for(*, challenge: Challenge, submission_ids: list[int]) -> dict[int, float]:
    """Each judged finalist's judge score on 0-100: the mean over judges of their rubric
    average, mapped so that 1 -> 0 and 5 -> 100."""
    averages = (
        JudgeScore.objects.filter(challenge=challenge, submission_id__in=submission_ids)
        .values("submission_id")
        .annotate(mean=Avg((F("originality") + F("balance") + F("emotional")) / 3.0))
    )
    return {row["submission_id"]: round((float(row["mean"]) - 1) / 4 * 100, 2) for row in averages}
