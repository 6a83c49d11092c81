from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from chartbusters.challenges.models import Challenge
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


class JudgeScore(models.Model):
    """One judge's rubric for one finalist (AWS's kit: 1-5 on three criteria)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    originality = _rubric_field("Originality", "1: derivative … 5: surprising and fresh")
    balance = _rubric_field("Balance", "1: lopsided … 5: parts and form in proportion")
    emotional = _rubric_field("Emotional", "1: leaves me cold … 5: moving")
    comment = models.TextField(blank=True, max_length=2000)
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
