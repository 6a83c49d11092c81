"""Writes to submissions: entering a challenge, disqualifying and restoring entries.

The scoring pipeline (claim, report, release, reaper, rescore) is in ``pipeline``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chartbusters.accounts.access import require_verified_email
from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import scoring
from chartbusters.submissions.audio import publish_audio
from chartbusters.submissions.models import Participation, Submission
from chartbusters.submissions.pipeline import publish_scoring
from chartbusters.submissions.provenance import (
    StudioOrigin,
    Verification,
    rule_refusal,
    standing_of,
)
from chartbusters.submissions.signals import announce_standing_changed
from chartbusters.submissions.states import SubmissionState
from chartbusters.submissions.text import TITLE_MESSAGE, has_control_characters
from chartbusters.submissions.verification import publish_verification

MAX_TITLE = limits.TITLE
MAX_DESCRIPTION = 2000


def start_of_utc_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def _check_entry_fields(challenge: Challenge, title: str, description: str, technique: str) -> None:
    if not title:
        raise ApplicationError("Give your entry a title.", code="invalid_title")
    if len(title) > MAX_TITLE:
        raise ApplicationError(f"Keep the title within {MAX_TITLE} characters.")
    if has_control_characters(title):
        raise ApplicationError(TITLE_MESSAGE, code="invalid_title")
    if len(description) > MAX_DESCRIPTION:
        raise ApplicationError(f"Keep the description within {MAX_DESCRIPTION} characters.")
    if technique not in challenge.allowed_techniques:
        allowed = ", ".join(challenge.technique_labels())
        raise ApplicationError(
            f"This challenge takes entries made with: {allowed}.", code="technique_not_allowed"
        )


def _check_quota(challenge: Challenge, user: User, now: datetime) -> None:
    """Call with the participation row locked. System failures never count."""
    counted = Submission.objects.filter(
        challenge=challenge, participant=user, counts_against_quota=True
    )
    if counted.count() >= challenge.total_quota:
        raise ApplicationError(
            f"You have used all {challenge.total_quota} entries of this challenge.",
            code="quota_exceeded",
            status=429,
        )
    today = counted.filter(created_at__gte=start_of_utc_day(now)).count()
    if today >= challenge.daily_quota:
        raise ApplicationError(
            f"You have used today's {challenge.daily_quota} entries; more from midnight UTC.",
            code="daily_quota_exceeded",
            status=429,
        )


def _participation(challenge: Challenge, user: User) -> Participation:
    """The participation row, created if needed, then locked until the transaction ends."""
    Participation.objects.get_or_create(challenge=challenge, participant=user)
    return Participation.objects.select_for_update().get(challenge=challenge, participant=user)


def submission_create(
    *,
    user: User,
    challenge: Challenge,
    title: str,
    description: str,
    technique: str,
    midi_bytes: bytes,
    provenance: Any = None,
    studio: StudioOrigin | None = None,
    now: datetime | None = None,
) -> Submission:
    """Enter a piece: validate it, check the quotas atomically, store it, queue its scoring
    (and, for a generator claim with a provenance, its re-run).

    An invalid file is refused with the validator's message before anything is stored.
    ``studio``: the studio's own record of how the piece was made (entries from the
    studio); ``provenance`` is then refused, as it is the client's word.
    """
    now = now or timezone.now()
    title, description = title.strip(), description.strip()
    require_verified_email(user)
    if not challenge.accepts_entries_at(now):
        raise ApplicationError(f"“{challenge}” is not taking entries now.", code="closed")
    if challenge.judges.filter(pk=user.pk).exists():
        # Both ways: judging.access refuses a judge who has entered, too.
        raise ApplicationError(
            "You judge this challenge, so you cannot enter it.", code="conflict", status=403
        )
    _check_entry_fields(challenge, title, description, technique)
    standing = standing_of(technique, provenance, studio)
    refusal = rule_refusal(challenge.provenance_rule, standing, technique)
    if refusal:
        raise ApplicationError(refusal, code="provenance_rule")
    score = scoring.parse_upload(midi_bytes)  # raises with the validator's code and message
    print_bytes = scoring.fingerprint_bytes(score)
    with transaction.atomic():
        _participation(challenge, user)
        _check_quota(challenge, user, now)
        submission = Submission(
            challenge=challenge,
            participant=user,
            title=title,
            description=description,
            technique=technique,
            provenance=standing.provenance,
            verification=standing.verification,
            verification_note=standing.note,
            hand_edited=standing.hand_edited,
            verification_queued_at=now if standing.verification == Verification.PENDING else None,
            midi_size=len(midi_bytes),
            fingerprint=print_bytes,
            created_at=now,
        )
        submission.midi.save("entry.mid", ContentFile(midi_bytes), save=False)
        try:
            submission.save()
            _queue(submission, now)
        except BaseException:
            submission.midi.delete(save=False)  # the row is rolled back; so is the file
            raise
        # Published once committed; a broker that is down leaves the entry stored, marked
        # unpublished, and the reaper's next pass publishes it (see pipeline).
        publish_scoring(submission.pk)
        publish_audio(submission.pk)
        if submission.verification == Verification.PENDING:
            publish_verification(submission.pk)
    return submission


def _queue(submission: Submission, now: datetime) -> None:
    fields = submission.move_to(SubmissionState.QUEUED)
    submission.attempts = 1
    submission.lease_expires_at = now + timedelta(seconds=settings.SUBMISSION_QUEUE_LEASE_SECONDS)
    submission.published_at = now  # cleared if the publish fails
    submission.audio_queued_at = now  # likewise
    submission.audio_attempts = 1
    submission.save(
        update_fields=[
            *fields, "attempts", "lease_expires_at", "published_at", "audio_queued_at",
            "audio_attempts",
        ]
    )  # fmt: skip


def submission_disqualify(*, submission: Submission, by: User, reason: str) -> Submission:
    """Host action: keep an entry off the ranking, with a reason its owner sees."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the entry is disqualified; its owner will see it.")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        locked.disqualified_at = timezone.now()
        locked.disqualified_by = by
        locked.disqualification_reason = reason[:2000]
        locked.save(
            update_fields=[
                "disqualified_at", "disqualified_by", "disqualification_reason", "updated_at"
            ]
        )  # fmt: skip
        announce_standing_changed(
            challenge_id=locked.challenge_id, participant_id=locked.participant_id
        )
    return locked


def submission_restore(*, submission: Submission) -> Submission:
    """Host action: undo a disqualification."""
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        locked.disqualified_at = None
        locked.disqualified_by = None
        locked.disqualification_reason = ""
        locked.save(
            update_fields=[
                "disqualified_at", "disqualified_by", "disqualification_reason", "updated_at"
            ]
        )  # fmt: skip
        announce_standing_changed(
            challenge_id=locked.challenge_id, participant_id=locked.participant_id
        )
    return locked
