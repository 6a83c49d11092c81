"""Compositions made in the studio and the generation jobs that make them.

A composition's MIDI (and audio) live in the default storage under generated names
(``studio/<owner id>/<uuid>.mid``): a participant's file name is never a storage path.
``roll`` keeps the notes as the browser draws them, so lists need no file reads.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartbusters.core import limits
from chartbusters.core.models import AudioState as AudioState  # one for every render
from chartbusters.studio.states import UNFINISHED_STATES, JobState, check_transition
from chartbusters.submissions.models import Submission


class CompositionKind(models.TextChoices):
    SAMPLE = "sample", "Sample melody"
    UPLOAD = "upload", "Uploaded MIDI"
    RECORDING = "recording", "Keyboard recording"
    EDIT = "edit", "Piano-roll edit"
    GENERATED = "generated", "Generated"


INPUT_KINDS = (
    CompositionKind.SAMPLE,
    CompositionKind.UPLOAD,
    CompositionKind.RECORDING,
    CompositionKind.EDIT,
)


def composition_midi_path(instance: Composition, filename: str) -> str:
    """A generated name: the participant's file name is never used on disk."""
    return f"studio/{instance.owner_id}/{instance.uuid}.mid"


def composition_audio_path(instance: Composition, filename: str) -> str:
    return f"studio/{instance.owner_id}/{instance.uuid}.ogg"


class Composition(models.Model):
    """A piece in a participant's studio: an input they brought or a generator's output."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compositions"
    )
    title = models.CharField(max_length=limits.TITLE)
    kind = models.CharField(max_length=16, choices=CompositionKind.choices)
    sample = models.CharField(max_length=64, blank=True, help_text="The sample melody's slug.")

    # ----- provenance (generated compositions)
    technique = models.CharField(max_length=16, blank=True)
    params = models.JSONField(null=True, blank=True)
    seed = models.PositiveBigIntegerField(null=True, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    input = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    input_summary = models.JSONField(
        default=dict,
        blank=True,
        help_text="The input as it was when this was generated (kept if the input is deleted).",
    )

    # ----- the music
    midi = models.FileField(upload_to=composition_midi_path, max_length=200)
    audio = models.FileField(upload_to=composition_audio_path, max_length=200, blank=True)
    audio_state = models.CharField(
        max_length=8, choices=AudioState.choices, default=AudioState.PENDING
    )
    # A composition's render is queued as it is stored (see ``pipeline.audio_reap``).
    audio_queued_at = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="When its render was queued; empty if that failed.",
    )
    audio_attempts = models.PositiveSmallIntegerField(
        default=1, help_text="Render messages queued (capped by AUDIO_MAX_ATTEMPTS)."
    )
    bars = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    tempo = models.FloatField(default=120)
    note_count = models.PositiveIntegerField(default=0)
    roll = models.JSONField(default=dict, blank=True)

    submissions = models.ManyToManyField(Submission, blank=True, related_name="compositions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            models.Index(fields=["audio_state", "created_at"]),  # the audio reaper
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind}) by {self.owner_id}"

    @property
    def is_generated(self) -> bool:
        return self.kind == CompositionKind.GENERATED

    @property
    def has_audio(self) -> bool:
        return self.audio_state == AudioState.READY and bool(self.audio)


class GenerationJob(models.Model):
    """One request to run a technique on an input composition (see ``states``)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs"
    )
    input = models.ForeignKey(
        Composition, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    technique = models.CharField(max_length=16)
    params = models.JSONField(default=dict, help_text="Validated, with defaults filled in.")
    seed = models.PositiveBigIntegerField()

    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.FloatField(default=0)
    message = models.CharField(max_length=500, blank=True)
    retryable = models.BooleanField(default=False, help_text="A failed job that may be retried.")
    result = models.ForeignKey(
        Composition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=1)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "lease_expires_at"]),
            models.Index(fields=["owner", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.technique} job {self.uuid} ({self.state})"

    @property
    def is_unfinished(self) -> bool:
        return self.state in UNFINISHED_STATES

    @property
    def can_retry(self) -> bool:
        return self.state == JobState.FAILED and self.retryable

    def move_to(self, target: str) -> list[str]:
        """Guarded transition (raises TransitionNotAllowed); the fields to save."""
        check_transition(self.state, target)
        self.state = target
        return ["state", "updated_at"]
