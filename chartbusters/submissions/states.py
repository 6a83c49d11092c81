"""The submission state machine: received -> queued -> evaluating -> scored|rejected|failed.

``queued -> queued`` and ``evaluating -> queued`` are the reaper's re-queues. Nothing
leaves a terminal state: a late or repeated delivery can never move an entry backwards
or write a second result.
"""

from __future__ import annotations

from django.db import models


class SubmissionState(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued"
    EVALUATING = "evaluating", "Evaluating"
    SCORED = "scored", "Scored"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


S = SubmissionState
TERMINAL_STATES = frozenset({S.SCORED, S.REJECTED, S.FAILED})
PENDING_STATES = frozenset({S.RECEIVED, S.QUEUED, S.EVALUATING})
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.QUEUED, S.FAILED}),
    S.QUEUED: frozenset({S.QUEUED, S.EVALUATING, S.FAILED}),
    S.EVALUATING: frozenset({S.QUEUED, S.SCORED, S.REJECTED, S.FAILED}),
    S.SCORED: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
}


class TransitionNotAllowed(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"A submission cannot go from {current} to {target}.")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise TransitionNotAllowed(current, target)
