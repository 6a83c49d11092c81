"""The generation pipeline, as services the Celery tasks call.

One job goes: ``job_claim`` (queued -> running, with a lease) -> the generator, outside
any transaction -> ``job_store_result`` (the result composition, audio pending) ->
``job_finish`` (done), or ``job_fail`` (failed, with a message for the participant).
The result's audio is rendered afterwards by a task of its own, so the participant sees
the notes without waiting for the synthesizer.

``attempts`` counts the participant's tries (1, +1 per retry). Only the delivery that
claimed the current attempt may write, so a repeated delivery, or a worker that
outlived its lease, writes nothing.

Stuck jobs: a job running past its lease (a worker killed mid-run), or queued past its
lease with its message known lost, is marked failed by ``jobs_reap`` with "the
generator stopped before finishing" and can be retried. It is not re-queued by itself:
a person is waiting for it, and an input that killed a worker once would likely kill
the next one too, so the participant decides (the retry keeps the seed, so it gives the
same music). Waiting is not failing: a queued job whose message may still be in the
generation queue (behind a backlog) is left to wait, and its message is never doubled.
Known lost means the generation queue holds no message at all (a failed publish fails
the job at once, in ``queueing.enqueue_job``).

Audio: a composition's render is queued when it is stored (``audio_queued_at``,
``audio_attempts`` = 1). ``audio_reap`` queues it again when the publish failed (at the
next pass), or when the render never landed (its message lost, or its task hit a
dropped database connection) after the render lease with the generation queue empty;
after ``AUDIO_MAX_ATTEMPTS`` renders the audio is marked failed, so it never loops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chartbusters.core.queues import queue_depth
from chartbusters.core.renders import reap_lost_renders
from chartbusters.studio.generators import technique_title, technique_version
from chartbusters.studio.models import AudioState, Composition, CompositionKind, GenerationJob
from chartbusters.studio.queueing import publish_composition_audio
from chartbusters.studio.services import MAX_TITLE, save_with_midi
from chartbusters.studio.states import UNFINISHED_STATES, JobState
from music.score import Score

logger = logging.getLogger(__name__)
J = JobState
GENERATION_QUEUE = "generation"  # the studio's tasks, audio renders included (settings)
STOPPED = "The generator stopped before finishing; retry."


def run_lease(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.STUDIO_JOB_RUN_LEASE_SECONDS)


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int


def _fail(job: GenerationJob, message: str, *, retryable: bool, now: datetime) -> None:
    fields = job.move_to(J.FAILED)
    job.message = message[:500]
    job.retryable = retryable
    job.finished_at = now
    job.lease_expires_at = None
    job.save(update_fields=[*fields, "message", "retryable", "finished_at", "lease_expires_at"])


def job_claim(*, job_id: int, now: datetime | None = None) -> Claim | None:
    """Take a queued job; None when there is nothing to do (done, failed, held by a
    live worker, or gone), so repeated deliveries are harmless. A redelivered job still
    marked running past its lease lost its worker: it fails now, ready to retry."""
    now = now or timezone.now()
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        if job.state == J.RUNNING and job.lease_expires_at and job.lease_expires_at < now:
            _fail(job, STOPPED, retryable=True, now=now)
            return None
        if job.state != J.QUEUED:
            return None
        fields = job.move_to(J.RUNNING)
        job.started_at = now
        job.lease_expires_at = run_lease(now)
        job.progress = 0.05
        job.message = "Loading your input."
        job.save(update_fields=[*fields, "started_at", "lease_expires_at", "progress", "message"])
    return Claim(job.pk, job.attempts)


def _current(claim: Claim) -> GenerationJob | None:
    """The job, locked, if this claim still holds it."""
    job = GenerationJob.objects.select_for_update().filter(pk=claim.job_id).first()
    if job is None or job.state != J.RUNNING or job.attempts != claim.attempt:
        return None
    return job


def job_progress(*, claim: Claim, progress: float, message: str) -> bool:
    """Tell the participant where the job is; False when the claim no longer holds."""
    updated = GenerationJob.objects.filter(
        pk=claim.job_id, state=J.RUNNING, attempts=claim.attempt
    ).update(progress=progress, message=message, updated_at=timezone.now())
    return updated == 1


def _input_summary(source: Composition) -> dict[str, object]:
    summary: dict[str, object] = {
        "composition": str(source.uuid),
        "kind": source.kind,
        "title": source.title,
    }
    if source.sample:
        summary["sample"] = source.sample
    if source.technique:
        summary["technique"] = source.technique
    return summary


def job_store_result(*, claim: Claim, result: Score) -> Composition | None:
    """Save the generator's output as a composition (kind generated, parent = input)."""
    with transaction.atomic():
        job = _current(claim)
        if job is None:
            logger.info("Dropping a stale result for generation job %s", claim.job_id)
            return None
        source = Composition.objects.filter(pk=job.input_id).first() if job.input_id else None
        base = source.title if source else "Composition"
        composition = Composition(
            owner_id=job.owner_id,
            title=f"{base} · {technique_title(job.technique)}"[:MAX_TITLE],
            kind=CompositionKind.GENERATED,
            technique=job.technique,
            params=job.params,
            seed=job.seed,
            model_version=technique_version(job.technique),
            parent=source,
            input=source,
            input_summary=_input_summary(source) if source else {},
        )
        save_with_midi(composition, result)
        job.result = composition
        job.progress = 0.9
        job.message = "Saving the result."
        job.save(update_fields=["result", "progress", "message", "updated_at"])
    return composition


def job_finish(*, claim: Claim, now: datetime | None = None) -> GenerationJob | None:
    with transaction.atomic():
        job = _current(claim)
        if job is None:
            return None
        fields = job.move_to(J.DONE)
        job.progress = 1.0
        job.message = "Done."
        job.finished_at = now or timezone.now()
        job.lease_expires_at = None
        job.save(update_fields=[*fields, "progress", "message", "finished_at", "lease_expires_at"])
    return job


def job_fail(
    *, claim: Claim, message: str, retryable: bool, now: datetime | None = None
) -> GenerationJob | None:
    with transaction.atomic():
        job = _current(claim)
        if job is None:
            return None
        _fail(job, message, retryable=retryable, now=now or timezone.now())
    return job


def jobs_reap(*, now: datetime | None = None) -> list[int]:
    """Fail jobs running past their lease, and jobs queued past it whose message is
    known lost; the ids of those it ended.

    A job whose result was already stored (the worker died before it could finish) is
    finished instead: the music is there, and its audio, if its render was never
    queued, is queued by ``audio_reap``."""
    now = now or timezone.now()
    stuck = GenerationJob.objects.filter(
        _lost_or_running(now), state__in=UNFINISHED_STATES, lease_expires_at__lt=now
    ).values_list("pk", flat=True)
    reaped = []
    for job_id in list(stuck[:1000]):
        with transaction.atomic():
            job = GenerationJob.objects.select_for_update().get(pk=job_id)
            if job.state not in UNFINISHED_STATES or not job.lease_expires_at:
                continue
            if job.lease_expires_at >= now:
                continue
            if job.state == J.RUNNING and job.result_id is not None:
                job_finish(claim=Claim(job.pk, job.attempts), now=now)
            else:
                _fail(job, STOPPED, retryable=True, now=now)
            reaped.append(job_id)
    if reaped:
        logger.warning("Studio reaper: ended generation jobs %s", reaped)
    return reaped


def _lost_or_running(now: datetime) -> Q:
    """Running jobs always; queued ones only when the generation queue is empty (while
    it holds messages, the job's may be among them, waiting its turn)."""
    if queue_depth(GENERATION_QUEUE) == 0:
        return Q()
    return Q(state=J.RUNNING)


@dataclass(frozen=True)
class AudioReapResult:
    requeued: list[int]
    failed: list[int]


def audio_reap(*, now: datetime | None = None) -> AudioReapResult:
    """Queue again the renders that are lost; fail those out of attempts. A render that
    turns up later still attaches its audio."""
    requeued, failed = reap_lost_renders(
        Composition,
        pending=AudioState.PENDING,
        failed=AudioState.FAILED,
        queue=GENERATION_QUEUE,
        publish=publish_composition_audio,
        now=now,
    )
    if requeued or failed:
        logger.warning("Studio reaper: audio re-queued %s, failed %s", requeued, failed)
    return AudioReapResult(requeued, failed)
