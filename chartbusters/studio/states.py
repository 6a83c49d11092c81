"""The generation job state machine: queued -> running -> done | failed.

``done`` is terminal. ``failed`` is terminal for the pipeline (no worker, reaper or
late delivery moves a failed job), and only the participant's explicit retry moves it
back to ``queued`` (a new attempt, same seed, same job id). A result is written only by
the delivery that claimed the current attempt, so a slow worker whose lease ran out can
never write over the attempt that replaced it.
"""

from __future__ import annotations

from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


J = JobState
UNFINISHED_STATES = frozenset({J.QUEUED, J.RUNNING})
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    J.QUEUED: frozenset({J.RUNNING, J.FAILED}),
    J.RUNNING: frozenset({J.DONE, J.FAILED}),
    J.DONE: frozenset(),
    J.FAILED: frozenset({J.QUEUED}),  # the participant's retry, nothing else
}


class TransitionNotAllowed(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"A generation job cannot go from {current} to {target}.")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise TransitionNotAllowed(current, target)
