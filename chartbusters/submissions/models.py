from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartbusters.challenges.models import Challenge, Technique
from chartbusters.core import limits
from chartbusters.core.models import AudioState as AudioState  # one for every render
from chartbusters.submissions.provenance import Verification
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState, check_transition


def submission_upload_path(instance: Submission, filename: str) -> str:
    """A generated name: the participant's file name is never used on disk."""
    return f"submissions/{instance.challenge_id}/{instance.uuid}.mid"


def submission_audio_path(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.challenge_id}/{instance.uuid}.ogg"


class Participation(models.Model):
    """One row per participant and challenge: the row quota checks lock.

    Locking it (not the user) serialises one person's entries to one challenge only, so
    parallel uploads cannot pass the quota together.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "participant"], name="one_participation")
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.challenge}"


class Submission(models.Model):
    """An entry to a challenge, with its scoring state and, once scored, its report."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="submissions")
    # PROTECT: deleting a user must not delete their entries (and with them ranks in
    # published results); an account is deactivated instead.
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    title = models.CharField(max_length=limits.TITLE)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    technique = models.CharField(max_length=16, choices=Technique.choices)
    provenance = models.JSONField(
        null=True,
        blank=True,
        help_text="The generator claim (input, technique, parameters, seed, model version); "
        "for studio entries built on the server, with the whole chain.",
    )
    verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        default=Verification.NOT_CLAIMED,
        help_text="What stands behind its technique (see submissions.provenance).",
    )
    verification_note = models.TextField(
        blank=True, help_text="Why it is unverified: the first difference, or what is missing."
    )
    verification_queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its re-run was queued; empty if that failed."
    )
    hand_edited = models.BooleanField(
        default=False, help_text="Its chain holds a hand edit after a generator run."
    )
    midi = models.FileField(upload_to=submission_upload_path, max_length=200)
    midi_size = models.PositiveIntegerField(default=0)
    fingerprint = models.BinaryField(null=True, editable=False)
    audio = models.FileField(
        upload_to=submission_audio_path,
        max_length=200,
        blank=True,
        help_text="An Ogg Vorbis rendering to listen to, made by a worker after upload.",
    )
    audio_state = models.CharField(
        max_length=16, choices=AudioState.choices, default=AudioState.PENDING
    )
    audio_queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its render was queued; empty if that failed."
    )
    audio_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Render messages queued (capped by AUDIO_MAX_ATTEMPTS)."
    )

    # ----- the pipeline
    state = models.CharField(
        max_length=16, choices=SubmissionState.choices, default=SubmissionState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its scoring message was handed to the broker; empty if that failed.",
    )
    failure_reason = models.TextField(blank=True)
    counts_against_quota = models.BooleanField(
        default=True, help_text="False once the entry failed for a system reason."
    )

    # ----- the report
    score = models.FloatField(null=True, blank=True)
    components = models.JSONField(default=dict, blank=True)
    weights = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    evaluator_version = models.CharField(max_length=100, blank=True)
    profile = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ranked = models.BooleanField(
        default=False, help_text="Scored and without a blocking flag (a copy, for instance)."
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    likes_count = models.PositiveIntegerField(default=0, help_text="Listeners' likes.")

    # ----- moderation
    disqualified_at = models.DateTimeField(null=True, blank=True)
    disqualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disqualification_reason = models.TextField(blank=True)

    # When it was entered: the service's ``now``, which quotas and the challenge's window
    # were checked against (not the moment the row happened to be written).
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["challenge", "participant", "created_at"]),
            models.Index(fields=["state", "lease_expires_at"]),
            models.Index(fields=["challenge", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} by {self.participant} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_disqualified(self) -> bool:
        return self.disqualified_at is not None

    @property
    def blocking_flags(self) -> list[dict[str, Any]]:
        return [flag for flag in self.flags if flag.get("blocking")]

    @property
    def has_audio(self) -> bool:
        return self.audio_state == AudioState.READY and bool(self.audio)

    @property
    def short_id(self) -> str:
        return str(self.uuid)[:8]

    def move_to(self, target: str) -> list[str]:
        """Guarded transition (raises TransitionNotAllowed); the fields to save."""
        check_transition(self.state, target)
        self.state = target
        return ["state", "updated_at"]
