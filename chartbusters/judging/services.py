"""Writes to judging: who may be a judge, and a judge's rubric for a finalist."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.judging.access import has_entered
from chartbusters.judging.models import RUBRIC, JudgeScore
from chartbusters.judging.selectors import finalist_submissions
from chartbusters.submissions.models import Submission


def judges_check(*, challenge: Challenge, judges: Iterable[User]) -> None:
    """Refuse judges who entered the challenge: nobody judges their own competition."""
    entered = sorted(judge.username for judge in judges if has_entered(judge, challenge))
    if entered:
        who = ", ".join(entered)
        verb = "has" if len(entered) == 1 else "have"
        raise ApplicationError(
            f"{who} {verb} entered this challenge and cannot judge it.",
            code="conflict",
            status=409,
        )


def judge_score_set(
    *,
    judge: User,
    challenge: Challenge,
    submission: Submission,
    originality: int,
    balance: int,
    emotional: int,
    comment: str = "",
) -> JudgeScore:
    """Record (or change) a judge's rubric for a finalist, until results are published."""
    values = {"originality": originality, "balance": balance, "emotional": emotional}
    for name in RUBRIC:
        if not isinstance(values[name], int) or not 1 <= values[name] <= 5:
            raise ApplicationError(f"Score {name} from 1 to 5.", code="invalid_rubric")
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if has_entered(judge, locked):
            raise ApplicationError(
                "You entered this challenge, so you cannot judge it.", code="conflict", status=403
            )
        if locked.results_published:
            raise ApplicationError("The results are published; scores are final.", status=409)
        if submission.pk not in {s.pk for s in finalist_submissions(challenge=locked)}:
            raise ApplicationError("This entry is not a finalist.", code="not_found", status=404)
        score, _ = JudgeScore.objects.select_for_update().get_or_create(
            submission=submission, judge=judge, defaults={"challenge": locked, **values}
        )
        for name, value in values.items():
            setattr(score, name, value)
        score.comment = comment.strip()[:2000]
        score.save(update_fields=[*RUBRIC, "comment", "updated_at"])
    return score
