"""The provenance check as a pipeline: queue it, hand the claim to the worker, record
the outcome. The re-run itself is the studio's (``studio.verification``): only the
studio reaches the generators, and a worker on the "generation" queue runs it.

States: ``pending`` -> ``verified`` | ``unverified``; both are terminal, so a repeated
delivery finds nothing to do, and a late result never overwrites an earlier one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from chartbusters.core.enqueue import task
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import Verification
from chartbusters.submissions.signals import announce_standing_changed

logger = logging.getLogger(__name__)

# Routed to the "generation" queue with the studio's other tasks (settings).
VERIFY_PROVENANCE = "chartbusters.studio.tasks.verify_provenance"
MAX_NOTE = 1000


def publish_verification(submission_id: int) -> None:
    """Queue the re-run once the entry commits. A broker that is down leaves the entry
    pending (and so off a verified-only board) rather than failing the upload."""

    def publish() -> None:
        try:
            task(VERIFY_PROVENANCE).delay(submission_id)
        except Exception:
            logger.exception("Could not queue the provenance check of entry %s", submission_id)

    transaction.on_commit(publish, robust=True)


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
