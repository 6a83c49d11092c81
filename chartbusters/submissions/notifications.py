"""Emails to participants (the console backend prints them by default)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from chartbusters.evaluator.privacy import owner_text
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import SubmissionState
from chartbusters.submissions.text import one_line


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def submission_result_email(submission: Submission) -> tuple[str, str] | None:
    """(subject, body) telling the owner how their entry fared; None if nothing to say."""
    link = _link(reverse("submissions:detail", args=[submission.uuid]))
    challenge = submission.challenge
    if submission.state == SubmissionState.REJECTED:
        return (
            f"Your entry “{submission.title}” could not be scored",
            f"Your entry to {challenge} was rejected: {submission.failure_reason}\n\n{link}\n",
        )
    if submission.state != SubmissionState.SCORED:
        return None
    if not submission.ranked:
        reasons = " ".join(owner_text(flag["message"]) for flag in submission.blocking_flags)
        body = f"Your entry to {challenge} was scored but stays off the ranking: {reasons}"
    elif challenge.has_hidden_board and not challenge.results_published:
        body = f"Your entry to {challenge} is scored. Scores are revealed with the results."
    else:
        body = f"Your entry to {challenge} scored {submission.score:.1f} out of 100."
    return (f"Your entry “{submission.title}” is scored", f"{body}\n\n{link}\n")


def notify_submission_result(submission: Submission) -> bool:
    message = submission_result_email(submission)
    if message is None or not submission.participant.email:
        return False
    subject, body = message
    # One line whatever the stored title holds: a line break would make Django refuse
    # the header (BadHeaderError) and the owner would never hear of their entry.
    send_mail(one_line(subject), body, None, [submission.participant.email])
    return True
