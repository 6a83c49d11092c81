"""Writes in the studio: inputs, renames, deletes, starting and retrying jobs, entering.

The generation pipeline itself (claim, progress, result, reaper) is in ``pipeline``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, Technique
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.studio import costs, generators, scores
from chartbusters.studio.models import (
    INPUT_KINDS,
    AudioState,
    Composition,
    CompositionKind,
    GenerationJob,
)
from chartbusters.studio.queueing import enqueue_job, publish_composition_audio
from chartbusters.studio.selectors import unfinished_job_count
from chartbusters.studio.states import JobState
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import StudioOrigin
from chartbusters.submissions.services import submission_create
from music.score import Score

logger = logging.getLogger(__name__)

MAX_TITLE = limits.TITLE


def clean_title(title: str, fallback: str = "") -> str:
    title = " ".join((title or "").split()) or fallback
    if not title:
        raise ApplicationError("Give the composition a title.", code="invalid_title")
    if len(title) > MAX_TITLE:
        raise ApplicationError(
            f"Keep the title within {MAX_TITLE} characters.", code="invalid_title"
        )
    return title


def title_from_filename(name: str) -> str:
    """A default title from an upload's name (shown escaped; never used as a path)."""
    stem = PurePath(name or "").stem.replace("_", " ").strip()
    return stem[:MAX_TITLE] or "Uploaded MIDI"


# ----- compositions ---------------------------------------------------------------------


def describe(composition: Composition, score: Score) -> None:
    """Fill in what lists show without reading the file."""
    composition.bars = score.measured_bar_count  # what the generators' limit counts
    composition.duration_seconds = round(score.duration_seconds, 3)
    composition.tempo = score.tempo
    composition.note_count = score.note_count
    composition.roll = scores.roll_json(score)


def save_with_midi(composition: Composition, score: Score) -> None:
    """Store the MIDI file and the row together (call inside a transaction)."""
    describe(composition, score)
    composition.midi.save("composition.mid", ContentFile(scores.midi_bytes(score)), save=False)
    try:
        composition.save()
    except BaseException:
        composition.midi.delete(save=False)  # the row is rolled back; so is the file
        raise


def _create_input(
    *,
    user: User,
    score: Score,
    kind: str,
    title: str,
    sample: str = "",
    parent: Composition | None = None,
) -> Composition:
    composition = Composition(owner=user, title=title, kind=kind, sample=sample, parent=parent)
    with transaction.atomic():
        save_with_midi(composition, score)
        publish_composition_audio(composition.pk)
    return composition


def composition_create_from_upload(
    *, user: User, data: bytes, title: str = "", follow_beat: bool = True
) -> tuple[Composition, str]:
    """An uploaded MIDI file, validated (an invalid file is refused and stored nowhere),
    and what to tell its owner about it. With ``follow_beat``, a piece played in without
    the click is stored written out on its player's beat (:func:`scores.read_upload`)."""
    upload = scores.read_upload(data, follow_beat=follow_beat)
    composition = _create_input(
        user=user,
        score=upload.score,
        kind=CompositionKind.UPLOAD,
        title=clean_title(title, upload.score.title or "Uploaded MIDI"),
    )
    return composition, upload.notice


def composition_create_from_sample(*, user: User, slug: str, title: str = "") -> Composition:
    score = scores.sample_score(slug)
    return _create_input(
        user=user,
        score=score,
        kind=CompositionKind.SAMPLE,
        title=clean_title(title, score.title or slug),
        sample=slug,
    )


def composition_for_sample(*, user: User, slug: str, title: str = "") -> tuple[Composition, bool]:
    """The user's input for a sample melody, and whether it was made now: picking the same
    melody again reuses it (the same notes) rather than filling the list with copies. A new
    title asks for a new input."""
    score = scores.sample_score(slug)  # refuses an unknown slug
    wanted = clean_title(title, score.title or slug)
    existing = (
        Composition.objects.filter(
            owner=user, kind=CompositionKind.SAMPLE, sample=slug, title=wanted
        )
        .order_by("created_at", "id")
        .first()
    )
    if existing is not None:
        return existing, False
    return composition_create_from_sample(user=user, slug=slug, title=title), True


def composition_create_from_notes(
    *, user: User, notes: scores.NotesInput, parent: Composition | None = None, kind: str = ""
) -> Composition:
    """Notes from the keyboard recorder (a recording) or the piano-roll editor (an edit
    of ``parent``)."""
    kind = kind or (CompositionKind.EDIT if parent else CompositionKind.RECORDING)
    if kind not in (CompositionKind.RECORDING, CompositionKind.EDIT):
        raise ApplicationError("kind must be 'recording' or 'edit'.", code="invalid_kind")
    # A generator's result may be longer than an input may be (the Transformer adds up to
    # 30 seconds to 32 bars): its edit may be as long as it is.
    longest = max(scores.MAX_BARS, parent.bars if parent and kind == CompositionKind.EDIT else 0)
    score = scores.score_from_notes(notes, longest)
    fallback = f"{parent.title} (edited)"[:MAX_TITLE] if parent else "Keyboard recording"
    return _create_input(
        user=user,
        score=score,
        kind=kind,
        title=clean_title(notes.title, fallback),
        parent=parent,
    )


def composition_rename(*, composition: Composition, title: str) -> Composition:
    composition.title = clean_title(title)
    composition.save(update_fields=["title", "updated_at"])
    return composition


def composition_delete(*, composition: Composition) -> None:
    """Delete the row, then its files once that has committed. Entries made from it
    keep their own copy of the MIDI; compositions made from it lose their parent link
    but keep the provenance recorded when they were made."""
    names = [str(f.name) for f in (composition.midi, composition.audio) if f]
    storage = composition.midi.storage
    with transaction.atomic():
        composition.delete()
        transaction.on_commit(lambda: _delete_files(storage, names))


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


# ----- generation jobs ------------------------------------------------------------------


def _check_input(composition: Composition) -> None:
    if composition.bars > generators.MAX_BARS:
        raise ApplicationError(
            f"“{composition.title}” is {composition.bars} bars long; the generators take at "
            f"most {generators.MAX_BARS} bars. Use a shorter input.",
            code="input_too_long",
            extra={"field": "input"},
        )


def _check_capacity(user: User) -> None:
    """Call with the user's row locked, so parallel requests cannot pass together."""
    limit = settings.STUDIO_MAX_UNFINISHED_JOBS
    if unfinished_job_count(user=user) >= limit:
        raise ApplicationError(
            f"You already have {limit} generations waiting or running; wait for one to "
            "finish, then try again.",
            code="too_many_jobs",
            status=429,
        )


def queue_lease(now: datetime | None = None) -> datetime:
    """How long a job may wait for a worker before the reaper calls it lost."""
    return (now or timezone.now()) + timedelta(seconds=settings.STUDIO_JOB_QUEUE_LEASE_SECONDS)


def job_start(
    *,
    user: User,
    input: Composition,
    technique: str,
    params: dict[str, Any] | None = None,
    seed: int | None = None,
) -> GenerationJob:
    """Validate the request, then queue it on commit (``generation`` queue)."""
    values, seed = generators.check_request(technique, params, seed)
    _check_input(input)
    costs.check_can_finish(technique, values, input.bars)  # before it waits in a queue
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        _check_capacity(user)
        job = GenerationJob.objects.create(
            owner=user,
            input=input,
            technique=technique,
            params=values,
            seed=seed,
            message="Waiting for a free generator.",
            lease_expires_at=queue_lease(),
        )
        enqueue_job(job.pk)
    return job


def job_retry(*, job: GenerationJob) -> GenerationJob:
    """A new attempt of a failed job: same input, parameters and seed, same job id."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=job.owner_id).first()
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        if not locked.can_retry:
            reason = (
                "Only a failed job can be retried."
                if locked.state != JobState.FAILED
                else "Retrying would fail the same way: " + locked.message
            )
            raise ApplicationError(reason, code="cannot_retry", status=409)
        if locked.input_id is None:
            raise ApplicationError(
                "The input of this job was deleted; start a new one.",
                code="cannot_retry",
                status=409,
            )
        _check_capacity(locked.owner)
        # A job that ran out of time is retried only if it can finish at today's speed.
        assert locked.input is not None  # input_id checked above
        costs.check_can_finish(locked.technique, locked.params or {}, locked.input.bars)
        fields = locked.move_to(JobState.QUEUED)
        locked.attempts += 1
        locked.progress = 0
        locked.message = "Waiting for a free generator."
        locked.retryable = False
        locked.started_at = locked.finished_at = None
        locked.lease_expires_at = queue_lease()
        locked.save(
            update_fields=[
                *fields, "attempts", "progress", "message", "retryable", "started_at",
                "finished_at", "lease_expires_at",
            ]
        )  # fmt: skip
        enqueue_job(locked.pk)
    return locked


# ----- entering a challenge ------------------------------------------------------------


def composition_provenance(composition: Composition) -> dict[str, Any] | None:
    """What a submission records about how a generated piece was made."""
    if not composition.is_generated:
        return None
    return {
        "input": composition.input_summary or {"composition": None},
        "technique": composition.technique,
        "parameters": composition.params or {},
        "seed": composition.seed,
        "model_version": composition.model_version,
        "composition": str(composition.uuid),
    }


MAX_CHAIN = 100  # links followed back from an entry (parents cannot loop; this is a guard)


def _link(composition: Composition) -> dict[str, Any]:
    """One step of a chain as the entry records it."""
    link: dict[str, Any] = {"kind": composition.kind, "title": composition.title}
    if composition.sample:
        link["sample"] = composition.sample
    if composition.is_generated:
        link |= {
            "technique": composition.technique,
            "parameters": composition.params or {},
            "seed": composition.seed,
            "model_version": composition.model_version,
        }
    return link


def composition_chain(composition: Composition) -> list[dict[str, Any]]:
    """How a composition was made, first input to the composition itself, from the
    studio's own rows. A deleted parent leaves what its child recorded of it."""
    links: list[dict[str, Any]] = []
    node: Composition | None = composition
    seen: set[int] = set()
    while node is not None and node.pk not in seen and len(links) < MAX_CHAIN:
        seen.add(node.pk)
        links.append(_link(node))
        if node.parent_id is None and node.is_generated and node.input_summary:
            summary = node.input_summary
            links.append({k: summary[k] for k in ("kind", "title", "sample") if k in summary})
        node = node.parent
    return links[::-1]


def composition_origin(composition: Composition) -> StudioOrigin:
    """What an entry of this composition records: built here, never taken from a client.
    A hand edit (or an upload) after a generator run marks the entry hand-edited."""
    chain = composition_chain(composition)
    kinds = [link["kind"] for link in chain]
    generated = CompositionKind.GENERATED in kinds
    first_run = kinds.index(CompositionKind.GENERATED) if generated else len(kinds)
    hand_edited = any(kind in INPUT_KINDS for kind in kinds[first_run + 1 :])
    provenance = {"source": "studio", "composition": str(composition.uuid), "chain": chain}
    return StudioOrigin(
        provenance=(composition_provenance(composition) or {}) | provenance,
        generated=generated,
        hand_edited=hand_edited,
    )


def composition_submit(
    *,
    user: User,
    composition: Composition,
    challenge: Challenge,
    title: str,
    description: str,
    now: datetime | None = None,
) -> Submission:
    """Enter a composition: the submission keeps its own copy of the MIDI, and the chain
    the studio recorded (see ``composition_origin``). ``now``: as ``submission_create``."""
    with composition.midi.open("rb") as handle:
        data = handle.read()
    technique = composition.technique if composition.is_generated else Technique.UPLOAD
    with transaction.atomic():
        submission = submission_create(
            user=user,
            challenge=challenge,
            title=title,
            description=description,
            technique=technique,
            midi_bytes=data,
            studio=composition_origin(composition),
            now=now,
        )
        composition.submissions.add(submission)
    return submission


def composition_store_audio(
    *, composition_id: int, audio: bytes | None, midi_name: str | None = None
) -> bool:
    """Attach rendered audio (or mark it failed); False when the row is gone. A render of
    ``midi_name`` that is no longer the composition's MIDI (its instruments changed while
    it rendered) is dropped: the render queued with the change attaches the right one."""
    with transaction.atomic():
        composition = Composition.objects.select_for_update().filter(pk=composition_id).first()
        if composition is None:
            return False
        if midi_name is not None and composition.midi.name != midi_name:
            logger.info("Composition %s changed while it rendered: render dropped", composition_id)
            return True
        if audio is None:
            composition.audio_state = AudioState.FAILED
            composition.save(update_fields=["audio_state", "updated_at"])
            return True
        old = composition.audio.name if composition.audio else ""
        composition.audio.save("audio.ogg", ContentFile(audio), save=False)
        composition.audio_state = AudioState.READY
        try:
            composition.save(update_fields=["audio", "audio_state", "updated_at"])
        except BaseException:
            composition.audio.delete(save=False)
            raise
        if old and old != composition.audio.name:
            storage = composition.audio.storage
            transaction.on_commit(lambda: storage.delete(old))
    return True


def composition_set_instruments(*, composition: Composition, programs: list[int]) -> Composition:
    """Give each track the General MIDI program in ``programs`` (the tracks' order): the
    MIDI is written again with them and the audio rendered again. The notes do not change,
    so a generator's piece stays the generator's (the judge and the provenance check read
    notes, never instruments). A drum track plays the drum kit, whatever its program."""
    with composition.midi.open("rb") as handle:
        score = scores.score_from_stored_midi(handle.read())
    if len(programs) != len(score.tracks):
        raise ApplicationError(
            f"Send one program per track: this composition has {len(score.tracks)}.",
            code="invalid_programs",
        )
    for number, (track, program) in enumerate(zip(score.tracks, programs, strict=True), 1):
        if track.is_drum and program != track.program:
            raise ApplicationError(
                f"Track {number} is the drum kit: it has no instrument to change.",
                code="invalid_programs",
            )
    if [track.program for track in score.tracks] == programs:
        return composition
    score.tracks = [
        replace(track, program=program)
        for track, program in zip(score.tracks, programs, strict=True)
    ]
    with transaction.atomic():
        locked = Composition.objects.select_for_update().get(pk=composition.pk)
        old_midi = str(locked.midi.name)
        # A new file name: a render of the old file still running is told apart and dropped.
        locked.midi.save("composition.mid", ContentFile(scores.midi_bytes(score)), save=False)
        locked.roll = scores.roll_json(score)
        locked.audio_state = AudioState.PENDING
        locked.audio_queued_at = timezone.now()
        locked.audio_attempts = 1
        try:
            locked.save(update_fields=["midi", "roll", "audio_state", "audio_queued_at",
                                       "audio_attempts", "updated_at"])  # fmt: skip
        except BaseException:
            locked.midi.delete(save=False)
            raise
        storage = locked.midi.storage
        transaction.on_commit(lambda: storage.delete(old_midi))
        publish_composition_audio(locked.pk)
    return locked
