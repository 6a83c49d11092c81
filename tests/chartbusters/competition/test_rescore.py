"""Rescoring a challenge with the real judge: resumable, once per entry, with a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import RescoreRun
from chartbusters.leaderboards.rescore import leaderboard_rescore_start, rescore_run_continue
from chartbusters.leaderboards.tasks import rescore_challenge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.tasks import score_submission
from evaluation.evaluate import CODE_VERSION
from tests.chartbusters.builders import enter

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # builds a quick profile: ~1 min


def scored_by_the_judge(user: User, challenge: Challenge, seed: int) -> Submission:
    entry = enter(user, challenge, seed=seed)
    assert score_submission.run(entry.pk) == "scored"
    entry.refresh_from_db()
    return entry


def test_a_rescore_walks_every_entry_once_even_in_slices(
    alice: User, bob: User, host: User, real_judge: Path, challenge: Challenge,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    first = scored_by_the_judge(alice, challenge, 1)
    scored_by_the_judge(bob, challenge, 2)
    Submission.objects.filter(pk=first.pk).update(evaluator_version="0+old")
    with django_capture_on_commit_callbacks(execute=False):
        run = leaderboard_rescore_start(challenge=challenge, by=host)
    assert rescore_run_continue(run_id=run.pk, budget_seconds=0) is False  # one entry
    run.refresh_from_db()
    assert (run.rescored, run.cursor) == (1, first.pk)
    assert rescore_challenge.run(run.pk) == "done"
    assert rescore_challenge.run(run.pk) == "done"  # a repeated delivery changes nothing
    run.refresh_from_db()
    assert (run.state, run.rescored) == (RescoreRun.State.DONE, 2)
    assert run.changes == []  # the same judge gives the same ranking
    first.refresh_from_db()
    assert first.evaluator_version != "0+old"


def test_the_rank_change_report_shows_a_copy_the_new_judge_catches(
    alice: User, bob: User, host: User, real_judge: Path, challenge: Challenge,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    import numpy as np

    from chartbusters.evaluator import scoring
    from chartbusters.leaderboards.services import leaderboard_rebuild
    from evaluation.redteam.attacks import bar_shuffle, hocket
    from music.midi_io import score_to_midi
    from tests.chartbusters.builders import piece

    original = scored_by_the_judge(alice, challenge, 1)
    # Bob's entry is alice's piece with its bars shuffled and its voices dealt round six
    # tracks: the judge of evaluator 3 let such a copy rank (and above its original).
    disguised = hocket(
        bar_shuffle(scoring.parse_upload(piece(1)), np.random.default_rng(3)),
        np.random.default_rng(4),
    )
    copy = enter(bob, challenge, midi_bytes=score_to_midi(disguised))
    assert score_submission.run(copy.pk) == "scored"
    copy.refresh_from_db()
    assert not copy.ranked  # today's judge flags it...
    assert any(flag["code"] == "copy" for flag in copy.flags)
    # ...so put the board back as the old judge left it: the copy ranked first.
    Submission.objects.filter(pk=copy.pk).update(
        ranked=True, flags=[], score=(original.score or 0) + 1, evaluator_version="3+old"
    )
    leaderboard_rebuild(challenge_id=challenge.pk)
    with django_capture_on_commit_callbacks(execute=False):
        run = leaderboard_rescore_start(challenge=challenge, by=host)
    assert rescore_challenge.run(run.pk) == "done"
    run.refresh_from_db()
    moves = [(c["participant"], c["before"], c["after"]) for c in run.changes]
    assert moves == [(alice.username, 2, 1), (bob.username, 1, None)]
    assert run.changes[1]["why"].startswith("Off the board now")
    copy.refresh_from_db()
    assert not copy.ranked
    assert copy.evaluator_version.startswith(f"{CODE_VERSION}+")  # the judge of today
