"""The provenance check as a pipeline: queue it, hand the claim to the worker, record
the outcome. The re-run itself is the studio's (``studio.verification``): only the
studio reaches the generators, and a worker on the "generation" queue runs it.

States: ``pending`` -> ``verified`` | ``unverified``; both are terminal, so a repeated
delivery finds nothing to do, and a late result never overwrites an earlier one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartbusters.core.enqueue import publish_on_commit
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import Verification
from chartbusters.submissions.signals import announce_standing_changed

logger = logging.getLogger(__name__)

# Routed to the "generation" queue with the studio's other tasks (settings).
VERIFY_PROVENANCE = "chartbusters.studio.tasks.verify_provenance"
MAX_NOTE = 1000
REAP_BATCH = 1000  # rows per pass; the next pass takes the rest


def publish_verification(submission_id: int) -> None:
    """Queue the re-run once the entry commits. A broker that is down must not fail the
    upload: the entry stays pending with ``verification_queued_at`` cleared, and the
    reaper's next pass queues it again (``verifications_reap``)."""

    publish_on_commit(
        VERIFY_PROVENANCE,
        (submission_id,),
        what=f"the provenance check of entry {submission_id}",
        on_failure=lambda: Submission.objects.filter(
            pk=submission_id, verification=Verification.PENDING
        ).update(verification_queued_at=None),
    )


def verifications_reap(*, now: datetime | None = None) -> list[int]:
    """Queue again the re-runs whose publish failed; their ids. A message still waiting
    in the queue is not touched, so a long backlog never gets twins."""
    now = now or timezone.now()
    with transaction.atomic():
        lost = list(
            Submission.objects.select_for_update(skip_locked=True)
            .filter(verification=Verification.PENDING, verification_queued_at__isnull=True)
            .values_list("pk", flat=True)[:REAP_BATCH]
        )
        Submission.objects.filter(pk__in=lost).update(verification_queued_at=now)
        for submission_id in lost:
            publish_verification(submission_id)
    return lost


@dataclass(frozen=True)
class Claim:
    """What the worker re-runs: the client's provenance and the entry's own MIDI."""

    submission_id: int
    provenance: dict[str, Any]
    midi: bytes


def verification_claim(*, submission_id: int) -> Claim | None:
    """The claim of a pending entry; None when there is nothing to do (gone or decided)."""
    submission = Submission.objects.filter(
        pk=submission_id, verification=Verification.PENDING
    ).first()
    if submission is None or not submission.provenance:
        return None
    with submission.midi.open("rb") as handle:
        midi = handle.read()
    return Claim(submission.pk, dict(submission.provenance), midi)


def submission_record_verification(*, submission_id: int, verified: bool, note: str = "") -> bool:
    """Record the re-run's outcome on a pending entry (False: it was no longer pending),
    and let the board take it on or keep it off in the same transaction."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id, verification=Verification.PENDING)
            .first()
        )
        if submission is None:
            return False
        submission.verification = Verification.VERIFIED if verified else Verification.UNVERIFIED
        submission.verification_note = "" if verified else note[:MAX_NOTE]
        submission.save(update_fields=["verification", "verification_note", "updated_at"])
        announce_standing_changed(
            challenge_id=submission.challenge_id, participant_id=submission.participant_id
        )
    return True
