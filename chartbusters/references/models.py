"""Reference sets, their pieces, and the judge versions built from them.

A ``JudgeBuild`` is one version of a set's judge and moves ``queued -> running ->
built | failed | cancelled``; terminal states stay terminal. A built version is never
changed again (its files are immutable): rebuilding makes the next version, and a
challenge keeps the version it names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReferenceSet(models.Model):
    """Music a host brings to build a judge from. Seen by hosts only."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Names the judge's versions (slug-v1, slug-v2, ...).",
    )
    description = models.TextField(blank=True, help_text="What the music is; shown with scores.")
    licence_note = models.TextField(
        help_text="Where the music comes from and on what terms it may be used to judge."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reference_sets"
    )
    # What the last upload or corpus pick refused, and why: [{"file": ..., "reason": ...}].
    last_refusals = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PieceOrigin(models.TextChoices):
    UPLOAD = "upload", "Uploaded MIDI"
    CORPUS = "corpus", "Bundled corpus"


class ReferencePiece(models.Model):
    reference_set = models.ForeignKey(ReferenceSet, on_delete=models.CASCADE, related_name="pieces")
    name = models.CharField(max_length=255, help_text="File name, or the corpus piece's id.")
    title = models.CharField(max_length=255, blank=True)
    origin = models.CharField(max_length=8, choices=PieceOrigin.choices)
    # Uploads keep their bytes (validated on the way in); corpus picks are read from the
    # corpus cache at build time.
    midi = models.BinaryField(null=True, blank=True, editable=False)
    content_hash = models.CharField(max_length=40)
    notes = models.PositiveIntegerField(default=0)
    near_duplicate_of = models.CharField(max_length=255, blank=True)
    near_duplicate_alignment = models.FloatField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_set", "content_hash"], name="one_copy_of_each_piece_per_set"
            ),
            models.UniqueConstraint(fields=["reference_set", "name"], name="piece_names_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class BuildState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    BUILT = "built", "Built"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_BUILD_STATES = (BuildState.BUILT, BuildState.FAILED, BuildState.CANCELLED)


class JudgeBuild(models.Model):
    """One version of a reference set's judge: its build job, then the built profile."""

    reference_set = models.ForeignKey(ReferenceSet, on_delete=models.PROTECT, related_name="builds")
    version = models.PositiveIntegerField()
    profile_name = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=BuildState.choices, default=BuildState.QUEUED)
    stage = models.CharField(max_length=40, blank=True)
    progress = models.FloatField(default=0.0, help_text="Share of the build done, 0-1.")
    log = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Why the build failed, in plain words.")
    cancel_requested = models.BooleanField(default=False)
    pieces = models.PositiveIntegerField(default=0)
    # The validity gate: the figures of the validity report and red team on the set's
    # own test split, and whether the report met the shipped profiles' targets.
    figures = models.JSONField(default=dict, blank=True)
    passes_validity = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_set", "version"], name="one_build_per_version"
            )
        ]

    def __str__(self) -> str:
        return self.profile_name

    @property
    def is_finished(self) -> bool:
        return self.state in TERMINAL_BUILD_STATES
