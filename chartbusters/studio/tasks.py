"""Celery tasks of the studio (queue "generation", except the reaper). They take ids,
re-fetch, and never let an error escape: a failure ends on the job with a message.

A job is done as soon as its result's MIDI is stored; the result's audio is rendered by
``render_composition_audio``, queued when the result commits (the browser shows the
roll at once and polls the composition until ``audio_state`` leaves "pending").
Importing this module connects ``warmup``'s handler, which preloads the models in
generation workers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from chartbusters.core.crashes import crash_guard
from chartbusters.core.errors import ApplicationError
from chartbusters.studio import costs, generators, scores, warmup  # noqa: F401  (warmup: the worker signal)
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.studio.pipeline import (
    Claim,
    audio_reap,
    job_claim,
    job_fail,
    job_finish,
    job_progress,
    job_store_result,
    jobs_reap,
)
from chartbusters.studio.queueing import (
    RENDER_COMPOSITION_AUDIO,
    RENDER_SAMPLE_AUDIO,
    RUN_GENERATION_JOB,
    publish_composition_audio,
)
from chartbusters.studio.services import composition_store_audio
from chartbusters.studio.verification import Outcome, check_claim
from chartbusters.submissions.verification import (
    VERIFY_PROVENANCE,
    submission_record_verification,
    verification_claim,
)
from music.catalogue import list_samples, load_sample
from music.score import Score

logger = logging.getLogger(__name__)

TIMED_OUT = (
    "The generator ran past its time limit. Try a shorter input or gentler settings, or retry."
)
OUR_FAULT = "Something went wrong on our side while generating; please retry."
INPUT_GONE = "The input composition was deleted before the job ran; start a new one."
GENERATING_FROM, GENERATING_TO = 0.2, 0.7  # the share of the progress bar the model moves
PROGRESS_EVERY_SECONDS = 0.5


@shared_task(name=RUN_GENERATION_JOB, acks_late=True)
def run_generation_job(job_id: int) -> str:
    """Run one job. Idempotent: a repeated delivery finds nothing to claim."""
    claim = job_claim(job_id=job_id)
    if claim is None:
        return "nothing to do"
    with crash_guard("run_generation_job", job_id) as guard:
        if guard.poisoned:
            job_fail(claim=claim, message=f"Generating failed. {guard.reason}", retryable=False)
            return "gave up"
        return _run(claim)


def _run(claim: Claim) -> str:
    try:
        return _generate(claim)
    except SoftTimeLimitExceeded:
        job_fail(claim=claim, message=TIMED_OUT, retryable=True)
    except generators.GenerationError as exc:  # the input or request itself: retrying cannot help
        job_fail(claim=claim, message=exc.message, retryable=False)
    except Exception:
        logger.exception("Generation job %s failed", claim.job_id)
        job_fail(claim=claim, message=OUR_FAULT, retryable=True)
    return "failed"


def _generate(claim: Claim) -> str:
    job = GenerationJob.objects.select_related("input").get(pk=claim.job_id)
    if job.input is None:
        job_fail(claim=claim, message=INPUT_GONE, retryable=False)
        return "failed"
    with job.input.midi.open("rb") as handle:
        score = scores.score_from_stored_midi(handle.read())
    bars = score.measured_bar_count
    try:  # the machine may have got busier since the job was queued: refuse, not time out
        costs.check_can_finish(job.technique, job.params, bars)
    except ApplicationError as exc:
        job_fail(claim=claim, message=exc.message, retryable=True)
        return "failed"
    title = generators.technique_title(job.technique)
    message = f"Generating with {title}."
    job_progress(claim=claim, progress=GENERATING_FROM, message=message)
    began = time.monotonic()
    result = generators.generate(
        job.technique, score, job.params, job.seed, progress=_reporter(claim, message)
    )
    costs.record_run(job.technique, job.params, bars, time.monotonic() - began)
    job_progress(claim=claim, progress=GENERATING_TO, message="Saving the result.")
    composition = job_store_result(claim=claim, result=result)
    if composition is None:
        return "stale"
    publish_composition_audio(composition.pk)  # the result is committed: render it in its own task
    return "done" if job_finish(claim=claim) else "stale"


def _reporter(claim: Claim, message: str) -> Callable[[float], None]:
    """Moves the job's progress from ``GENERATING_FROM`` to ``GENERATING_TO`` with the
    technique's own, writing at most every ``PROGRESS_EVERY_SECONDS``."""
    last = time.monotonic()

    def report(done: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_SECONDS:
            last = now
            share = GENERATING_FROM + (GENERATING_TO - GENERATING_FROM) * min(max(done, 0.0), 1.0)
            job_progress(claim=claim, progress=round(share, 3), message=message)

    return report


def _render_and_store(composition_id: int, score: Score, midi_name: str | None = None) -> None:
    """Audio is a preview: if it cannot be rendered, the composition says so, the job
    does not fail. ``midi_name``: the file the score was read from (see
    ``composition_store_audio``)."""
    try:
        audio: bytes | None = scores.render_ogg(score)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.exception("Rendering audio for composition %s failed", composition_id)
        audio = None
    composition_store_audio(composition_id=composition_id, audio=audio, midi_name=midi_name)


@shared_task(name=RENDER_COMPOSITION_AUDIO, acks_late=True)
def render_composition_audio(composition_id: int) -> str:
    """Render a composition's audio, an input's or a job's result (the web process never
    renders audio). Idempotent: a rendered composition is left alone."""
    with crash_guard("render_composition_audio", composition_id) as guard:
        if guard.poisoned:
            composition_store_audio(composition_id=composition_id, audio=None)
            return "gave up"
        return _render_composition(composition_id)


def _render_composition(composition_id: int) -> str:
    composition = Composition.objects.filter(pk=composition_id).first()
    if composition is None:
        return "gone"
    if composition.has_audio:
        return "nothing to do"
    try:
        with composition.midi.open("rb") as handle:
            score = scores.score_from_stored_midi(handle.read())
    except Exception:
        logger.exception("Reading composition %s failed", composition_id)
        composition_store_audio(composition_id=composition_id, audio=None)
        return "failed"
    _render_and_store(composition_id, score, composition.midi.name)
    return "rendered"


RERUN_TIMED_OUT = "Re-running the claim took longer than the time limit, so it cannot be verified."
RERUN_FAILED = (
    "The claim could not be re-run because of an error on our side; a host can re-check it."
)


@shared_task(name=VERIFY_PROVENANCE, acks_late=True)
def verify_provenance(submission_id: int) -> str:
    """Re-run an entry's generator claim and record verified or unverified (with the
    first difference). Idempotent: a decided entry is left alone. Nothing a claim holds
    escapes as an error: the worker goes on to the next message."""
    claim = verification_claim(submission_id=submission_id)
    if claim is None:
        return "nothing to do"
    with crash_guard("verify_provenance", submission_id) as guard:
        if guard.poisoned:
            outcome = Outcome(False, f"Re-running the claim failed. {guard.reason}")
        else:
            outcome = _check(claim.provenance, claim.midi, submission_id)
    submission_record_verification(
        submission_id=submission_id, verified=outcome.verified, note=outcome.note
    )
    return "verified" if outcome.verified else "unverified"


def _check(provenance: dict[str, object], midi: bytes, submission_id: int) -> Outcome:
    try:
        return check_claim(provenance, midi)
    except SoftTimeLimitExceeded:
        return Outcome(False, RERUN_TIMED_OUT)
    except Exception:
        logger.exception("Checking the provenance of entry %s failed", submission_id)
        return Outcome(False, RERUN_FAILED)


SAMPLE_AUDIO_LOCK = "studio:sample-audio-queued"


def queue_missing_sample_audio() -> bool:
    """Queue one render of the samples whose audio is not cached yet (at most once a
    minute); True when it queued one. Cheap: a file-exists check per sample."""
    missing = [
        s.slug
        for s in list_samples()
        if not default_storage.exists(scores.sample_audio_name(s.slug))
    ]
    if not missing or not cache.add(SAMPLE_AUDIO_LOCK, 1, timeout=60):
        return False

    def publish_sample_audio() -> None:
        try:
            render_sample_audio.delay(missing)
        except Exception:  # no broker: the page still works, the players say "try again"
            logger.exception("Could not queue the sample melodies' audio")

    transaction.on_commit(publish_sample_audio)
    return True


@shared_task(name=RENDER_SAMPLE_AUDIO, acks_late=True)
def render_sample_audio(slugs: list[str]) -> list[str]:
    """Render and cache the audio of these sample melodies; the ones it rendered."""
    rendered = []
    for slug in slugs:
        name = scores.sample_audio_name(slug)
        if default_storage.exists(name):
            continue
        with crash_guard("render_sample_audio", slug) as guard:
            if guard.poisoned or not _render_sample(slug, name):
                continue
        rendered.append(slug)
    return rendered


def _render_sample(slug: str, name: str) -> bool:
    """Render and store one sample's audio; False if rendering failed."""
    try:
        audio = scores.render_ogg(load_sample(slug))
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.exception("Rendering the audio of sample %s failed", slug)
        return False
    saved = default_storage.save(name, ContentFile(audio))
    if saved != name:  # another worker got there first
        default_storage.delete(saved)
    return True


@shared_task(name="chartbusters.studio.tasks.reap_stuck_jobs")
def reap_stuck_jobs() -> list[int]:
    """Beat: fail generation jobs whose worker was lost or whose message is lost, so
    they can be retried, and queue again audio renders that never came."""
    reaped = jobs_reap()
    audio_reap()
    return reaped
