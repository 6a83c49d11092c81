"""Rescoring a challenge: a host starts a run, the judge re-scores every scored entry,
and the run records who moved on the board.

A run walks the challenge's scored entries in id order and moves its ``cursor`` past
each one in the same transaction that stores the new report, so a re-delivered or
continued task picks up where the last one stopped and never rescores an entry twice.
Entries are rescored in arrival order, so the novelty check sees the same earlier
entries it saw the first time. The task (``tasks.rescore_challenge``) keeps the name it
had when it lived in ``submissions``, so messages already queued still find it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.crashes import crash_guard
from chartbusters.core.enqueue import task
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import scoring
from chartbusters.leaderboards.models import LeaderboardEntry, RescoreRun
from chartbusters.leaderboards.services import leaderboard_refresh_participant, lock_board
from chartbusters.submissions.evaluation import judge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import REPORT_FIELDS, apply_report
from chartbusters.submissions.states import SubmissionState

logger = logging.getLogger(__name__)
RESCORE_CHALLENGE = "chartbusters.submissions.tasks.rescore_challenge"


def _next_entry(run: RescoreRun) -> Submission | None:
    return (
        Submission.objects.filter(
            challenge_id=run.challenge_id, state=SubmissionState.SCORED, pk__gt=run.cursor
        )
        .select_related("challenge")
        .order_by("pk")
        .first()
    )


def _store(run_id: int, entry: Submission, report: scoring.EntryReport | None) -> None:
    with transaction.atomic():
        run = RescoreRun.objects.select_for_update().get(pk=run_id)
        if run.cursor >= entry.pk:
            return  # another delivery of this run got here first
        submission = Submission.objects.select_for_update().get(pk=entry.pk)
        if report is not None and submission.state == SubmissionState.SCORED:
            apply_report(submission, report, timezone.now())
            submission.save(update_fields=[*REPORT_FIELDS, "updated_at"])
            leaderboard_refresh_participant(
                challenge_id=submission.challenge_id, participant_id=submission.participant_id
            )
            run.rescored += 1
        run.cursor = entry.pk
        run.save(update_fields=["cursor", "rescored"])


def _rejudge(run_id: int, entry: Submission) -> scoring.EntryReport | None:
    """The entry's new report, or None to keep its old one (the judge refused it, or
    judging it keeps killing the worker: the run moves past it instead of looping)."""
    with crash_guard("rescore_entry", f"{run_id}:{entry.pk}") as guard:
        if guard.poisoned:
            logger.error("Rescore %s kept the old report of %s: %s", run_id, entry.pk, guard.reason)
            return None
        try:
            return judge(entry)
        except (scoring.EntryUnscorable, scoring.ScoringUnavailable) as exc:
            logger.warning("Rescore %s kept the old report of %s: %s", run_id, entry.pk, exc)
            return None


def rescore_run_continue(*, run_id: int, budget_seconds: float) -> bool:
    """Rescore entries until done (True) or the time budget is spent (False)."""
    deadline = time.monotonic() + budget_seconds
    while True:
        run = RescoreRun.objects.get(pk=run_id)
        if run.state == RescoreRun.State.DONE:
            return True
        entry = _next_entry(run)
        if entry is None:
            rescore_finish(run=run)
            return True
        _store(run_id, entry, _rejudge(run_id, entry))
        if time.monotonic() > deadline:
            return False


def leaderboard_rescore_start(*, challenge: Challenge, by: User) -> RescoreRun:
    """Host action: re-run the judge over every scored entry (e.g. after an upgrade)."""
    with transaction.atomic():
        lock_board(challenge.pk)
        if RescoreRun.objects.filter(challenge=challenge, state=RescoreRun.State.RUNNING).exists():
            raise ApplicationError("A rescore of this challenge is already running.", status=409)
        if challenge.results_published:
            raise ApplicationError("The results are published; the ranking is final.", status=409)
        board = _standing(challenge.pk)
        run = RescoreRun.objects.create(
            challenge=challenge,
            requested_by=by,
            ranks_before={p: row["rank"] for p, row in board.items()},
            scores_before={p: {"score": row["score"], "version": row["version"]}
                           for p, row in board.items()},
        )  # fmt: skip
        task(RESCORE_CHALLENGE).delay_on_commit(run.pk)
    return run


def _standing(challenge_id: int) -> dict[str, dict[str, Any]]:
    """Each ranked participant (by id, as text): rank, score and evaluator version."""
    rows = LeaderboardEntry.objects.filter(challenge_id=challenge_id).values_list(
        "participant_id", "rank", "score", "submission__evaluator_version"
    )
    return {
        str(participant): {"rank": rank, "score": score, "version": version}
        for participant, rank, score, version in rows
    }


def _why(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """Why a participant moved, in words: their own score, or everyone else's."""
    if after is None:
        return (
            "Off the board now: none of their entries is ranked when judged again "
            "(flagged as a copy, or refused)."
        )
    if before is None or before.get("score") is None:
        return f"On the board now: judged again, their best entry scores {after['score']:.2f}."
    old, new = before["score"], after["score"]
    if new is None:
        return "Their best entry has no score now."
    if round(old, 2) == round(new, 2):
        return f"Their score stayed {new:.2f}; other participants' scores changed around them."
    versions = ""
    if before.get("version") and before["version"] != after.get("version"):
        versions = f" (evaluator {before['version']} then {after.get('version')})"
    return f"Their score went from {old:.2f} to {new:.2f}{versions}."


def rescore_finish(*, run: RescoreRun) -> RescoreRun:
    """Record who moved: participant, rank before and after (None: not ranked), their
    score before and after, and why in words."""
    with transaction.atomic():
        locked = RescoreRun.objects.select_for_update().get(pk=run.pk)
        if locked.state == RescoreRun.State.DONE:
            return locked
        standing = _standing(locked.challenge_id)
        after = {participant: row["rank"] for participant, row in standing.items()}
        names = dict(
            User.objects.filter(
                pk__in=[int(p) for p in {*after, *locked.ranks_before}]
            ).values_list("pk", "username")
        )
        changes = []
        for participant in sorted({*after, *locked.ranks_before}, key=int):
            before_rank, after_rank = locked.ranks_before.get(participant), after.get(participant)
            if before_rank != after_rank:
                old = locked.scores_before.get(participant)
                new = standing.get(participant)
                changes.append(
                    {
                        "participant": names.get(int(participant), participant),
                        "before": before_rank,
                        "after": after_rank,
                        "score_before": old.get("score") if old else None,
                        "score_after": new["score"] if new else None,
                        "why": _why(old, new),
                    }
                )
        changes.sort(key=lambda c: (c["after"] is None, c["after"] or 0))
        locked.changes = changes
        locked.state = RescoreRun.State.DONE
        locked.finished_at = timezone.now()
        locked.save(update_fields=["changes", "state", "finished_at"])
    return locked
