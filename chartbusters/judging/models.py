from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from chartbusters.challenges.models import Challenge
from chartbusters.core import limits
from chartbusters.submissions.models import Submission

RUBRIC = ("originality", "balance", "emotional")
RUBRIC_LABELS = {
    "originality": "Originality",
    "balance": "Balance",
    "emotional": "Emotional",
}


def _rubric_field(label: str, help_text: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name=label,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=help_text,
    )


def new_handle() -> str:
    """An opaque, unguessable name for a finalist: nothing in it comes from the entry."""
    return secrets.token_urlsafe(12)


class Finalist(models.Model):
    """An entry as the judges know it: a random handle and a number ("Finalist A").

    Judges never see the entry's id, title or anything else a public view shows, so
    nothing they are given can be looked up on a board or an entry page. A row is made
    when the entry first goes to the judges and kept: the handle and the letter stay
    the same for as long as the judging lasts, even if the finalists change.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    handle = models.CharField(max_length=32, unique=True, default=new_handle, editable=False)
    number = models.PositiveIntegerField(help_text="1 for Finalist A, 2 for B, ...")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "submission"], name="one_handle_each"),
            models.UniqueConstraint(fields=["challenge", "number"], name="one_number_each"),
        ]

    def __str__(self) -> str:
        return f"{self.label} of {self.challenge}"

    @property
    def label(self) -> str:
        letters, index = "", self.number
        while index:
            index, rest = divmod(index - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return f"Finalist {letters}"


class JudgeScore(models.Model):
    """One judge's rubric for one finalist (AWS's kit: 1-5 on three criteria)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    originality = _rubric_field("Originality", "1: derivative … 5: surprising and fresh")
    balance = _rubric_field("Balance", "1: lopsided … 5: parts and form in proportion")
    emotional = _rubric_field("Emotional", "1: leaves me cold … 5: moving")
    comment = models.TextField(blank=True, max_length=limits.TEXT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "judge"], name="one_score_per_judge")
        ]
        indexes = [models.Index(fields=["challenge", "submission"])]

    def __str__(self) -> str:
        return f"{self.judge} on {self.submission_id}: {self.average:.2f}"

    @property
    def average(self) -> float:
        return (self.originality + self.balance + self.emotional) / 3
