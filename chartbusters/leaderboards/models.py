from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F

from chartbusters.challenges.models import Challenge
from chartbusters.core import limits
from chartbusters.submissions.models import Submission

COMPONENT_FIELDS = ("realism", "typicality", "frechet")


class LeaderboardEntry(models.Model):
    """A participant's best ranked entry in a challenge, maintained as entries are scored.

    Updated in the transaction that stores a score (or disqualifies, restores, rescores),
    so the board never disagrees with the submissions. Ranks are dense and unique:
    higher score first, missing scores last, and on a tie the earlier entry wins.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(null=True)
    realism = models.FloatField(null=True)
    typicality = models.FloatField(null=True)
    frechet = models.FloatField(null=True)
    submitted_at = models.DateTimeField()
    rank = models.PositiveIntegerField()
    entries_count = models.PositiveIntegerField(default=1, help_text="Ranked entries in all.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "participant"], name="one_row_each")
        ]
        indexes = [
            models.Index(fields=["challenge", "rank"]),
            models.Index(fields=["challenge", "score", "submitted_at"]),
            # A page sorted by a component (best first, the default) is read off these.
            # PostgreSQL only (see migration 0003): SQLite cannot index NULLS LAST.
            *(
                models.Index(
                    F("challenge"),
                    F(name).desc(nulls_last=True),
                    F("rank"),
                    name=f"board_by_{name}",
                )
                for name in COMPONENT_FIELDS
            ),
            # ...and the reversed sort (lowest first, missing values still last).
            *(
                models.Index(
                    F("challenge"),
                    F(name).asc(nulls_last=True),
                    F("rank"),
                    name=f"board_up_{name}",
                )
                for name in COMPONENT_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.participant} in {self.challenge}"


class FinalResult(models.Model):
    """The frozen final ranking, written once when a host publishes the results.

    Immutable: nothing updates or deletes a row (the admin is read-only, and deleting
    the entry or the participant behind one is refused). An entry disqualified after
    publication keeps its row; the results show the disqualification beside it.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    participant_name = models.CharField(max_length=150, help_text="As shown when published.")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=limits.TITLE)
    automatic_score = models.FloatField(null=True)
    judge_score = models.FloatField(null=True, help_text="0-100; finalists only.")
    final_score = models.FloatField(null=True)
    components = models.JSONField(default=dict)

    class Meta:
        ordering = ["challenge", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "rank"], name="one_result_per_rank")
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.participant_name} in {self.challenge}"


class RescoreRun(models.Model):
    """A host's re-run of the judge over a challenge's entries, and what it changed."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    ranks_before = models.JSONField(default=dict, help_text="participant id -> rank")
    scores_before = models.JSONField(
        default=dict,
        help_text="participant id -> their board score and its evaluator version, before",
    )
    cursor = models.BigIntegerField(default=0, help_text="The last submission id rescored.")
    rescored = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"rescore {self.pk} of {self.challenge} ({self.state})"


class Like(models.Model):
    """A listener's like of an entry on a visible board: the people's choice board."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "user"], name="one_like_each")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.submission_id}"
