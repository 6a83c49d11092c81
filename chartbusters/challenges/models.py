from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import scoring
from chartbusters.references.selectors import judge_gate_problem


class Technique(models.TextChoices):
    GAN = "gan", "GAN (accompaniment)"
    ARCNN = "arcnn", "AR-CNN (Bach-style note edits)"
    TRANSFORMER = "transformer", "Transformer (extension)"
    UPLOAD = "upload", "Upload of your own MIDI"


GENERATOR_TECHNIQUES = (Technique.GAN, Technique.ARCNN, Technique.TRANSFORMER)


class ProvenanceRule(models.TextChoices):
    """What a challenge asks of how entries were made (see ``submissions.provenance``)."""

    ANY = "any", "Any entry"
    VERIFIED = "verified", "Generator entries must be verified"
    VERIFIED_UNEDITED = "verified_unedited", "Verified generator output, no hand edits"


class ChallengeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open"
    JUDGING = "judging", "Judging"
    FINISHED = "finished", "Finished"


class LeaderboardVisibility(models.TextChoices):
    LIVE = "live", "Live"
    HIDDEN = "hidden", "Hidden until results are published"


def default_techniques() -> list[str]:
    return list(Technique.values)


def _weight_field(default: str, component: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0))],
        help_text=f"Relative weight of {component}; the three need not add up to 1.",
    )


class Challenge(models.Model):
    """A themed competition. Hosts set it up in the admin; the clock moves its status.

    Status: ``draft`` (hosts only) -> ``scheduled`` (announced, before ``starts_at``) ->
    ``open`` (entries accepted) -> ``judging`` (after ``ends_at``, until results are
    published) -> ``finished`` (results published). Only the host actions "schedule",
    "back to draft" and "publish results" move it by hand; the rest follows the clock
    (``challenge_refresh_status``, run by beat every minute).
    """

    title = models.CharField(max_length=limits.TITLE)
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in the challenge's URL.")
    theme = models.CharField(
        max_length=200,
        blank=True,
        help_text="One line under the title, e.g. 'Bach, but make it pop'.",
    )
    description = models.TextField(
        blank=True,
        help_text="Markdown. Rules, what to submit, how entries are judged. "
        "Rendered sanitised: scripts and raw HTML do not pass.",
    )
    starts_at = models.DateTimeField(help_text="Entries are accepted from this moment (UTC).")
    ends_at = models.DateTimeField(help_text="Entries are refused from this moment (UTC).")
    status = models.CharField(
        max_length=16, choices=ChallengeStatus.choices, default=ChallengeStatus.DRAFT
    )
    allowed_techniques = models.JSONField(
        default=default_techniques,
        help_text="How entries may be made: with a studio generator, or uploaded.",
    )
    provenance_rule = models.CharField(
        max_length=20,
        choices=ProvenanceRule.choices,
        default=ProvenanceRule.ANY,
        help_text="Any entry ranks; or an entry claiming a generator ranks only once the "
        "service has verified it (made in the studio, or its claim re-run exactly); or "
        "only verified generator output without hand edits ranks.",
    )
    evaluation_profile = models.CharField(
        max_length=64,
        choices=scoring.profile_choices,
        default=scoring.default_profile,
        help_text="The reference music entries are scored against: a shipped profile, "
        "or a version of a host-built judge (Judge builds). Changing it rescores every "
        "entry and records who moved.",
    )
    use_judge_below_targets = models.BooleanField(
        "Use a judge below the validity targets anyway",
        default=False,
        help_text="A host-built judge that missed the validity targets on its own held-out "
        "pieces may judge only with this ticked; the challenge page then says so.",
    )
    weight_realism = _weight_field("0.50", "realism (the critic ensemble)")
    weight_typicality = _weight_field("0.30", "typicality (musical metrics)")
    weight_frechet = _weight_field("0.20", "closeness to the reference (Fréchet distance)")
    daily_quota = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text="Entries per participant per UTC day. Entries that fail for system "
        "reasons do not count.",
    )
    total_quota = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(1)], help_text="Entries per participant in all."
    )
    leaderboard_visibility = models.CharField(
        max_length=16,
        choices=LeaderboardVisibility.choices,
        default=LeaderboardVisibility.LIVE,
        help_text="Hidden: participants see neither the board nor any score until results "
        "are published.",
    )
    judges = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="judged_challenges",
        limit_choices_to={"role": "judge"},
        help_text="Judges score the finalists on Originality, Balance and Emotional (1-5).",
    )
    finalists_count = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many of the top entries go to the judges when entries close; 0 for "
        "no judging (the automatic score decides).",
    )
    judge_weight = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="Share of the judges' score in a finalist's final score (0 to 1); the rest "
        "is the automatic score.",
    )
    results_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped in the transaction of anything that changes what the board shows (an entry
    # scored, withdrawn or disqualified, a like, a rendered listening copy, a renamed
    # participant): cached board pages are keyed by it (``core.pagecache``).
    board_version = models.PositiveBigIntegerField(default=0, editable=False)
    board_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must come after the start."
        techniques = self.allowed_techniques
        if not isinstance(techniques, list) or not techniques:
            errors["allowed_techniques"] = "Allow at least one way of making an entry."
        elif set(techniques) - set(Technique.values):
            errors["allowed_techniques"] = f"Choose from {', '.join(Technique.values)}."
        if self.daily_quota and self.total_quota and self.daily_quota > self.total_quota:
            errors["daily_quota"] = "The daily quota cannot exceed the total quota."
        try:
            self.weights()
        except ApplicationError as exc:
            errors["weight_realism"] = exc.message
        gate = judge_gate_problem(self.evaluation_profile, use_anyway=self.use_judge_below_targets)
        if gate:
            errors["evaluation_profile"] = gate
        if errors:
            raise ValidationError(errors)

    def weights(self) -> scoring.Weights:
        return scoring.make_weights(
            self.weight_realism, self.weight_typicality, self.weight_frechet
        )

    @property
    def is_visible_to_public(self) -> bool:
        return self.status != ChallengeStatus.DRAFT

    @property
    def has_hidden_board(self) -> bool:
        return self.leaderboard_visibility == LeaderboardVisibility.HIDDEN

    @property
    def results_published(self) -> bool:
        return self.results_published_at is not None

    @property
    def has_judging(self) -> bool:
        return self.finalists_count > 0

    def accepts_entries_at(self, now: datetime) -> bool:
        """By the clock, not the stored status, which beat refreshes only every minute."""
        active = self.status in (ChallengeStatus.SCHEDULED, ChallengeStatus.OPEN)
        return active and self.starts_at <= now < self.ends_at

    def technique_labels(self) -> list[str]:
        labels = dict(Technique.choices)
        return [str(labels[t]) for t in self.allowed_techniques if t in labels]
