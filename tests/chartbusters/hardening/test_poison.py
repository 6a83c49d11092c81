"""Poison messages: work that kills its worker is ended with a reason after a few deaths,
and a long piece never kills one (issue 14, item 1).

The direct tests record deaths as a dying worker leaves them (a start never finished)
and call the task functions; the worker tests run a real worker on the real broker."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.crashes import _record_start, crash_guard
from chartbusters.core.models import UnfinishedTask
from chartbusters.submissions import tasks
from chartbusters.submissions.models import AudioState, Submission
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState
from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from tests.chartbusters.builders import enter
from tests.chartbusters.faults import HOOKED_APP
from tests.worker import celery_worker, wait_until


def die_during(task: str, key: object, times: int) -> None:
    """What ``times`` workers that died inside ``task`` on ``key`` leave behind: the
    guard's start records, never matched by a finish."""
    for _ in range(times):
        _record_start(task, str(key))


def unfinished(task: str, key: object) -> int:
    row = UnfinishedTask.objects.filter(task=task, key=str(key)).first()
    return row.starts if row else 0


# ----- the guard ---------------------------------------------------------------------


@pytest.mark.django_db
def test_work_that_finishes_leaves_no_record_even_when_it_raises() -> None:
    with crash_guard("some_task", 7) as guard:
        assert not guard.poisoned
        assert unfinished("some_task", 7) == 1
    with pytest.raises(ValueError, match="ordinary"), crash_guard("some_task", 7):
        raise ValueError("an ordinary error is not a dead worker")
    assert not UnfinishedTask.objects.exists()


@pytest.mark.django_db
def test_each_start_that_never_finished_counts_as_a_death(settings: Any) -> None:
    settings.TASK_MAX_WORKER_DEATHS = 3
    die_during("some_task", 7, times=2)
    with crash_guard("some_task", 7) as guard:
        assert guard.deaths == 2
        assert not guard.poisoned
    die_during("some_task", 7, times=1)
    with crash_guard("some_task", 7) as guard:
        assert guard.deaths == 3
        assert guard.poisoned
        assert "3 times" in guard.reason
    with crash_guard("other_task", 7) as guard:
        assert guard.deaths == 0  # deaths belong to one task on one object


# ----- each guarded task gives up with a reason ----------------------------------------


@pytest.mark.django_db
def test_an_entry_whose_audio_killed_three_workers_gets_no_audio_and_no_fourth_try(
    alice: User, challenge: Challenge, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = enter(alice, challenge)
    die_during("render_submission_audio", entry.pk, times=3)
    monkeypatch.setattr(
        "chartbusters.submissions.audio._render",
        lambda submission: pytest.fail("a poisoned render must not run again"),
    )
    assert tasks.render_submission_audio(entry.pk) == "failed"
    entry.refresh_from_db()
    assert entry.audio_state == AudioState.FAILED
    assert entry.state == SubmissionState.QUEUED  # scoring is untouched


@pytest.mark.django_db
def test_an_entry_whose_audio_killed_two_workers_is_still_rendered(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    die_during("render_submission_audio", entry.pk, times=2)
    assert tasks.render_submission_audio(entry.pk) == "rendered"
    entry.refresh_from_db()
    assert entry.audio_state == AudioState.READY
    assert unfinished("render_submission_audio", entry.pk) == 2  # the deaths stay known


@pytest.mark.django_db
def test_an_entry_whose_scoring_killed_three_workers_fails_with_a_reason_and_no_quota(
    alice: User, challenge: Challenge, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = enter(alice, challenge)
    die_during("score_submission", entry.pk, times=3)
    monkeypatch.setattr(tasks, "judge", lambda s: pytest.fail("must not judge it again"))
    assert tasks.score_submission(entry.pk) == "gave up"
    entry.refresh_from_db()
    assert entry.state == SubmissionState.FAILED
    assert "stopped the worker processing it 3 times" in entry.failure_reason
    assert entry.counts_against_quota is False


@pytest.mark.django_db
def test_a_generation_job_that_killed_three_workers_fails_for_good(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chartbusters.studio import tasks as studio_tasks
    from chartbusters.studio.models import GenerationJob
    from chartbusters.studio.services import composition_create_from_sample, job_start
    from chartbusters.studio.states import JobState

    source = composition_create_from_sample(user=alice, slug="ode-to-joy")
    job = job_start(user=alice, input=source, technique="gan", seed=1)
    die_during("run_generation_job", job.pk, times=3)
    monkeypatch.setattr(studio_tasks, "_generate", lambda claim: pytest.fail("must not run"))
    assert studio_tasks.run_generation_job(job.pk) == "gave up"
    job = GenerationJob.objects.get(pk=job.pk)
    assert job.state == JobState.FAILED
    assert job.retryable is False
    assert "stopped the worker processing it 3 times" in job.message


# ----- with a real worker and broker ------------------------------------------------------


def audio_state(entry: Submission) -> str:
    entry.refresh_from_db()
    return entry.audio_state


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
def test_a_message_that_kills_every_worker_is_failed_after_three_deaths_and_others_flow(
    alice: User, bob: User, challenge: Challenge
) -> None:
    with celery_worker(queues="audio", app=HOOKED_APP, HARDENING_CRASH_TITLE="poison"):
        poisoned = enter(alice, challenge, title="poison")
        assert wait_until(lambda: audio_state(poisoned) != AudioState.PENDING, timeout=180), (
            f"still pending after {unfinished('render_submission_audio', poisoned.pk)} deaths"
        )
        assert poisoned.audio_state == AudioState.FAILED
        # Three deaths, no more: the fourth delivery gave up, and its own start record
        # is cleared just after the audio state is committed.
        assert wait_until(lambda: unfinished("render_submission_audio", poisoned.pk) == 3)
        healthy = enter(bob, challenge, seed=1, title="fine")
        assert wait_until(lambda: audio_state(healthy) == AudioState.READY, timeout=120)


def long_piece(meter: tuple[int, int], seconds: float, tempo: float) -> bytes:
    """A valid entry of ``seconds``: a melody on every beat and a bass every four."""
    beats = round(seconds * tempo / 60)
    melody = Track([Note(i * 480, 60 + i % 12, 480, 90) for i in range(beats)], name="Melody")
    bass = Track([Note(i * 1920, 36 + i % 5, 1920, 80) for i in range(beats // 4)], program=32)
    return score_to_midi(Score([melody, bass], resolution=480, tempo=tempo, time_signature=meter))


def finished(entry: Submission) -> bool:
    entry.refresh_from_db()
    return entry.audio_state != AudioState.PENDING and entry.state in TERMINAL_STATES


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
def test_a_ten_minute_entry_and_a_594_s_piece_in_255_1_are_scored_and_get_short_previews(
    alice: User, bob: User, challenge: Challenge, real_judge: Path
) -> None:
    import io

    import soundfile as sf

    from music.listening import LISTENING_COPY_MAX_SECONDS

    with celery_worker(
        queues="celery,evaluation,audio", EVALUATION_PROFILES_DIR=str(real_judge)
    ) as worker:
        ten_minutes = enter(alice, challenge, midi_bytes=long_piece((4, 4), 600.0, 40.0))
        odd_meter = enter(bob, challenge, midi_bytes=long_piece((255, 1), 594.0, 120.0))
        for entry in (ten_minutes, odd_meter):
            assert wait_until(partial(finished, entry), timeout=240)
        # Follow-up work (the leaderboard, the e-mail) may still run after both entries
        # finish; a start that died would leave its row for good, so this waits it out.
        assert wait_until(lambda: not UnfinishedTask.objects.exists(), timeout=60)
        assert worker.poll() is None  # the worker never died
    for entry in (ten_minutes, odd_meter):
        assert entry.state == SubmissionState.SCORED, entry.failure_reason
        assert entry.audio_state == AudioState.READY
        with entry.audio.open("rb") as handle:
            info = sf.info(io.BytesIO(handle.read()))
        assert info.duration == pytest.approx(LISTENING_COPY_MAX_SECONDS, abs=1.0)
