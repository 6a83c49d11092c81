"""A backlog behind one slow worker, with the real worker, broker, database and reaper.

Queue leases far shorter than the wait, and the reaper every second: every entry is
still scored in its first attempt, and the broker never holds more scoring messages than
there are entries waiting for one (a second copy of a waiting message would show).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.core.queues import queue_depth
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState
from tests.chartbusters.builders import enter, make_challenge
from tests.chartbusters.faults import HOOKED_APP
from tests.worker import celery_worker, wait_until, with_reaper

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.usefixtures("empty_queues"),
]
S = SubmissionState
ENTRIES = 12


def test_a_backlog_behind_one_slow_worker_is_scored_in_first_attempts_without_duplicates(
    alice: User, real_judge: Path, tmp_path: Path, settings: Any
) -> None:
    settings.SUBMISSION_QUEUE_LEASE_SECONDS = 1  # every entry waits many leases
    challenge = make_challenge(daily_quota=ENTRIES, total_quota=ENTRIES)
    entries = [enter(alice, challenge, seed=n, title=f"Entry {n}") for n in range(ENTRIES)]
    excess: list[int] = []  # messages beyond one per waiting entry, at each look

    def all_settled() -> bool:
        waiting = Submission.objects.filter(state=S.QUEUED).count()
        excess.append((queue_depth("evaluation") or 0) - waiting)
        return not Submission.objects.exclude(state__in=TERMINAL_STATES).exists()

    # The one slow scoring worker, and beside it a worker for the default queue that
    # runs the reaper every second (and renders the entries' audio).
    with (
        celery_worker(
            queues="evaluation",
            app=HOOKED_APP,
            HARDENING_JUDGE_DELAY="0.5",
            EVALUATION_PROFILES_DIR=str(real_judge),
        ),
        celery_worker(queues="celery,audio", **with_reaper(tmp_path)),
    ):
        assert wait_until(all_settled, timeout=300, interval=0.1)
    outcomes = {
        entry.pk: (entry.state, entry.attempts, entry.failure_reason)
        for entry in Submission.objects.filter(pk__in=[e.pk for e in entries])
    }
    assert set(outcomes.values()) == {(S.SCORED, 1, "")}, outcomes
    assert max(excess) <= 0, "a waiting entry's message was published twice"
