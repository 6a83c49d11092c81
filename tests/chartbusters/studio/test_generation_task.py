"""The generation task called directly: results, failures, redeliveries and the reaper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.core.queues import queue_depth
from chartbusters.studio import scores, tasks
from chartbusters.studio.models import AudioState, Composition, CompositionKind, GenerationJob
from chartbusters.studio.pipeline import (
    STOPPED,
    AudioReapResult,
    audio_reap,
    job_claim,
    jobs_reap,
)
from chartbusters.studio.services import job_retry, save_with_midi
from chartbusters.studio.states import JobState
from chartbusters.studio.tasks import render_composition_audio, run_generation_job
from generation.registry import TECHNIQUES
from music.midi_io import score_from_midi
from music.score import Note, Score, Track
from tests.chartbusters.studio.helpers import job_for, melody

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_queues")]


def test_a_job_runs_to_a_generated_composition_with_midi_then_audio(
    alice: User,
    sample_input: Composition,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(render_composition_audio, "delay", queued.append)
    job = job_for(alice, sample_input, "gan")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.state, job.progress, job.message) == (JobState.DONE, 1.0, "Done.")
    assert job.started_at
    assert job.finished_at
    assert job.lease_expires_at is None
    result = job.result
    assert result is not None
    assert result.kind == CompositionKind.GENERATED
    assert (result.parent, result.input) == (sample_input, sample_input)
    assert (result.technique, result.params, result.seed) == ("gan", {"style": "chorale"}, 3)
    assert result.model_version == TECHNIQUES["gan"].version
    assert result.input_summary == {
        "composition": str(sample_input.uuid), "kind": "sample", "title": sample_input.title,
        "sample": sample_input.sample,
    }  # fmt: skip
    assert result.title.startswith(sample_input.title)
    with result.midi.open("rb") as handle:
        score = score_from_midi(handle.read())
    assert len(score.tracks) == 4  # the melody and three voices
    assert result.bars == 8
    assert len(result.roll["tracks"]) == 4
    # Done before the audio: its render is a task of its own, queued once the result is in.
    assert (result.audio_state, result.audio.name) == (AudioState.PENDING, "")
    assert queued == [result.pk]
    assert render_composition_audio.run(result.pk) == "rendered"
    result.refresh_from_db()
    assert result.audio_state == AudioState.READY
    with result.audio.open("rb") as handle:
        assert handle.read(4) == b"OggS"


def test_a_repeated_delivery_does_nothing(alice: User, sample_input: Composition) -> None:
    job = job_for(alice, sample_input, "transformer")
    assert run_generation_job.run(job.pk) == "done"
    assert run_generation_job.run(job.pk) == "nothing to do"
    assert Composition.objects.filter(kind=CompositionKind.GENERATED).count() == 1


def test_a_job_that_is_gone_is_nothing_to_do(alice: User) -> None:
    assert run_generation_job.run(123456) == "nothing to do"


def test_an_input_the_generator_refuses_fails_with_its_message_and_no_retry(
    alice: User,
) -> None:
    drums_only = Score(tracks=[Track([Note(0, 36, 480, 90)], is_drum=True)])
    source = Composition(owner=alice, title="Drums", kind=CompositionKind.UPLOAD)
    save_with_midi(source, drums_only)
    job = job_for(alice, source, "arcnn")
    assert run_generation_job.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.message == "The input has no pitched notes; add at least one note."
    assert not job.can_retry
    assert not Composition.objects.filter(kind=CompositionKind.GENERATED).exists()


def test_an_unexpected_error_fails_with_a_plain_message_and_can_be_retried(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Score:
        raise RuntimeError("CUDA out of memory at 0xdeadbeef")

    monkeypatch.setattr(tasks.generators, "generate", broken)
    job = job_for(alice, sample_input)
    assert run_generation_job.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.message == tasks.OUR_FAULT
    assert "0xdeadbeef" not in job.message
    assert job.can_retry
    assert "Generation job" in caplog.text  # logged with its traceback for us


def test_audio_that_cannot_be_rendered_does_not_fail_the_job(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_audio(score: Score) -> bytes:
        raise OSError("fluidsynth crashed")

    monkeypatch.setattr(scores, "render_ogg", no_audio)
    job = job_for(alice, sample_input)
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    assert job.result is not None
    assert render_composition_audio.run(job.result.pk) == "rendered"
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.result is not None
    assert job.result.audio_state == AudioState.FAILED
    assert not job.result.audio


def test_a_deleted_input_fails_the_job(alice: User, sample_input: Composition) -> None:
    job = job_for(alice, sample_input)
    sample_input.delete()
    assert run_generation_job.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.message == tasks.INPUT_GONE


def test_the_reaper_fails_jobs_past_their_lease_so_they_can_be_retried(
    alice: User, sample_input: Composition
) -> None:
    queued = job_for(alice, sample_input)
    running = job_for(alice, sample_input)
    fresh = job_for(alice, sample_input)
    assert job_claim(job_id=running.pk) is not None
    later = timezone.now() + timedelta(hours=1)
    GenerationJob.objects.filter(pk=fresh.pk).update(lease_expires_at=later + timedelta(hours=1))
    assert sorted(jobs_reap(now=later)) == sorted([queued.pk, running.pk])
    for job in (queued, running):
        job.refresh_from_db()
        assert (job.state, job.message, job.can_retry) == (JobState.FAILED, STOPPED, True)
    fresh.refresh_from_db()
    assert fresh.state == JobState.QUEUED
    assert jobs_reap(now=later) == []


def test_a_queued_job_waiting_behind_a_backlog_is_never_failed_for_waiting(
    alice: User, sample_input: Composition, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = job_for(alice, sample_input)  # its message waits in the generation queue
    assert jobs_reap(now=timezone.now() + timedelta(hours=6)) == []
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert queue_depth("generation") == 1  # and it was not published twice


def test_a_retried_job_runs_again_and_a_stale_delivery_writes_nothing(
    alice: User, sample_input: Composition
) -> None:
    job = job_for(alice, sample_input, seed=11)
    stale = job_claim(job_id=job.pk)  # a worker takes it, then is lost
    assert stale is not None
    jobs_reap(now=timezone.now() + timedelta(hours=1))
    job.refresh_from_db()
    job = job_retry(job=job)
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.state, job.attempts, job.seed) == (JobState.DONE, 2, 11)
    from chartbusters.studio.pipeline import job_fail

    assert job_fail(claim=stale, message="late", retryable=True) is None
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_a_redelivered_job_whose_worker_died_fails_at_once(
    alice: User, sample_input: Composition
) -> None:
    job = job_for(alice, sample_input)
    assert job_claim(job_id=job.pk) is not None
    assert run_generation_job.run(job.pk) == "nothing to do"  # its worker may still run
    GenerationJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert run_generation_job.run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert (job.state, job.message, job.can_retry) == (JobState.FAILED, STOPPED, True)


def test_the_reaper_finishes_a_job_whose_result_was_already_saved(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = job_for(alice, sample_input)
    monkeypatch.setattr(tasks, "job_finish", lambda **kw: None)  # the worker dies here
    tasks.run_generation_job.run(job.pk)
    jobs_reap(now=timezone.now() + timedelta(hours=1))
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.result is not None
    assert job.result.audio_state == AudioState.PENDING  # audio_reap queues it if lost
    assert render_composition_audio.run(job.result.pk) == "rendered"
    job.result.refresh_from_db()
    assert job.result.audio_state == AudioState.READY


def test_lost_audio_is_queued_again_then_given_up_after_the_cap_and_a_late_render_lands(
    alice: User,
    sample_input: Composition,
    bob: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.AUDIO_MAX_ATTEMPTS = 2
    fresh = Composition(owner=bob, title="Fresh", kind=CompositionKind.UPLOAD)
    save_with_midi(fresh, melody())
    lease = timedelta(seconds=settings.AUDIO_RENDER_LEASE_SECONDS + 1)
    Composition.objects.filter(pk=sample_input.pk).update(
        audio_queued_at=timezone.now() - lease  # its render never landed
    )
    with django_capture_on_commit_callbacks() as published:
        assert audio_reap() == AudioReapResult([sample_input.pk], [])
    assert len(published) == 1
    Composition.objects.filter(pk=sample_input.pk).update(
        audio_queued_at=timezone.now() - lease  # nor did the second
    )
    assert audio_reap() == AudioReapResult([], [sample_input.pk])
    sample_input.refresh_from_db()
    fresh.refresh_from_db()
    assert (sample_input.audio_state, sample_input.audio_attempts) == (AudioState.FAILED, 2)
    assert fresh.audio_state == AudioState.PENDING  # within its lease
    assert render_composition_audio.run(sample_input.pk) == "rendered"
    sample_input.refresh_from_db()
    assert sample_input.audio_state == AudioState.READY
    assert audio_reap() == AudioReapResult([], [])


def test_audio_whose_publish_failed_is_queued_at_the_next_pass(
    alice: User, sample_input: Composition, django_capture_on_commit_callbacks: Any
) -> None:
    Composition.objects.filter(pk=sample_input.pk).update(audio_queued_at=None)
    with django_capture_on_commit_callbacks() as published:
        assert audio_reap() == AudioReapResult([sample_input.pk], [])
    assert len(published) == 1
    sample_input.refresh_from_db()
    assert (sample_input.audio_state, sample_input.audio_attempts) == (AudioState.PENDING, 1)
    assert sample_input.audio_queued_at is not None


def test_an_input_gets_its_audio_from_a_task(alice: User, sample_input: Composition) -> None:
    assert render_composition_audio.run(sample_input.pk) == "rendered"
    sample_input.refresh_from_db()
    assert sample_input.audio_state == AudioState.READY
    assert sample_input.audio.name == f"studio/{alice.pk}/{sample_input.uuid}.ogg"
    assert render_composition_audio.run(sample_input.pk) == "nothing to do"
    assert render_composition_audio.run(987654) == "gone"


def test_the_generation_backlog_proxy_is_the_oldest_queued_job_or_pending_render(
    alice: User, sample_input: Composition, settings: Any
) -> None:
    from chartbusters.core.queues import backlog_proxy_since

    job = job_for(alice, sample_input)
    assert job.lease_expires_at is not None
    queued_at = job.lease_expires_at - timedelta(seconds=settings.STUDIO_JOB_QUEUE_LEASE_SECONDS)
    render_queued_at = sample_input.audio_queued_at
    assert render_queued_at is not None
    assert backlog_proxy_since("generation") == min(queued_at, render_queued_at)
    Composition.objects.update(audio_state=AudioState.READY)
    assert backlog_proxy_since("generation") == queued_at


def test_the_progress_bar_moves_with_the_generators_own_progress(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float] = []
    job = job_for(alice, sample_input, "arcnn")

    def generating(*args: Any, progress: Any = None) -> Score:
        for done in (0.25, 0.5, 1.0):
            progress(done)
            seen.append(GenerationJob.objects.get(pk=job.pk).progress)
        return melody()

    monkeypatch.setattr(tasks, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr(tasks.generators, "generate", generating)
    assert run_generation_job.run(job.pk) == "done"
    assert seen == [0.325, 0.45, 0.7]  # from 0.2 (started) to 0.7 (saving)
