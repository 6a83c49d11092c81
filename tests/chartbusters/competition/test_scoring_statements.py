"""Scoring an entry takes the same number of SQL statements however many entries the
participant holds, however long the board and however many entries came before: each
statement is CPU that two scoring workers on two cores share with PostgreSQL (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import submission_claim, submission_record_report
from chartbusters.submissions.tasks import score_submission
from tests.chartbusters.builders import enter, make_challenge, report, scored_entry
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db

# What recording a new best takes: BEGIN, the entry locked and written, the board's
# version bumped (its lock), the participant's best entry, their board row, the rows it
# passes and its rank, the row written, COMMIT. (Before issue 22's work: 12.)
RECORD_STATEMENTS = 10
# The claim (2), the crash guard's start and finish (2), the entry and the earlier
# entries the judge reads (3), recording the score. (Before: 30, and a server-side
# cursor's FETCH and CLOSE that Django's log does not show.)
SCORE_STATEMENTS = 7 + RECORD_STATEMENTS


@pytest.fixture
def challenge(db: None) -> Challenge:
    """Open, with room for many entries a day."""
    return make_challenge("many-entries", daily_quota=100, total_quota=100)


def statements_to_record(entry: Submission, score: float) -> int:
    claim = submission_claim(submission_id=entry.pk)
    assert claim is not None
    with CaptureQueriesContext(connection) as captured:
        assert submission_record_report(claim=claim, report=report(score)) is not None
    return len(captured.captured_queries)


def a_crowded_board(challenge: Challenge, people: int) -> None:
    for i in range(people):
        scored_entry(make_user(f"rival{i}"), challenge, score=10.0 + i, seed=100 + i)


def test_recording_a_new_best_takes_the_same_statements_on_a_long_board(
    alice: User, challenge: Challenge
) -> None:
    first = statements_to_record(enter(alice, challenge, seed=1), 20.0)
    a_crowded_board(challenge, 12)
    for seed in range(2, 10):
        scored_entry(alice, challenge, score=20.0 + seed, seed=seed)
    later = statements_to_record(enter(alice, challenge, seed=50), 99.0)
    assert first == later == RECORD_STATEMENTS
    assert LeaderboardEntry.objects.get(participant=alice).rank == 1


def test_recording_an_entry_below_the_participants_best_takes_no_more(
    alice: User, challenge: Challenge
) -> None:
    a_crowded_board(challenge, 12)
    scored_entry(alice, challenge, score=90.0, seed=1)
    few = statements_to_record(enter(alice, challenge, seed=2), 30.0)
    for seed in range(3, 12):
        scored_entry(alice, challenge, score=30.0 + seed, seed=seed)
    many = statements_to_record(enter(alice, challenge, seed=50), 31.0)
    assert few == many <= RECORD_STATEMENTS
    row = LeaderboardEntry.objects.get(participant=alice)
    assert (row.rank, row.score, row.entries_count) == (1, 90.0, 12)


def statements_to_score(entry: Submission) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert score_submission.run(entry.pk) == "scored"
    return len(captured.captured_queries)


def test_the_scoring_task_takes_the_same_statements_however_many_entries_came_before(
    alice: User, bob: User, real_judge: Path, challenge: Challenge
) -> None:
    score_submission.run(enter(bob, challenge, seed=1).pk)
    few = statements_to_score(enter(make_user("carol"), challenge, seed=2))
    for seed in range(3, 15):
        score_submission.run(enter(bob if seed % 2 else alice, challenge, seed=seed).pk)
    many = statements_to_score(enter(make_user("dave"), challenge, seed=50))
    assert few == many == SCORE_STATEMENTS  # each measured entry is its owner's first
