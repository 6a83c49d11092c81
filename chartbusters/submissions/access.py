"""Who may see a submission, its file and its report.

Owners and hosts see an entry; everyone else gets a 404, as if it did not exist (no
way to probe other people's entries or download their files). The report's scores
follow the board: on a hidden board even the owner sees no score until the results are
published, only the entry's state and its flags (a copy flag is something to act on).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chartbusters.challenges.access import Viewer, is_host, scores_visible
from chartbusters.challenges.models import ChallengeStatus
from chartbusters.core.errors import ApplicationError
from chartbusters.submissions.models import Submission


@dataclass(frozen=True)
class SubmissionAccess:
    submission: Submission
    is_owner: bool
    is_host: bool
    scores_visible: bool


def _not_found() -> ApplicationError:
    return ApplicationError("No such submission.", code="not_found", status=404)


def access_submission(user: Viewer, submission_uuid: UUID | str) -> SubmissionAccess:
    try:
        key = UUID(str(submission_uuid))
    except ValueError:
        raise _not_found() from None
    submission = (
        Submission.objects.select_related("challenge", "participant").filter(uuid=key).first()
    )
    if submission is None or not user.is_authenticated:
        raise _not_found()
    host = is_host(user)
    owner = submission.participant_id == user.pk
    if not (owner or host):
        raise _not_found()
    if not host and submission.challenge.status == ChallengeStatus.DRAFT:
        raise _not_found()
    return SubmissionAccess(submission, owner, host, scores_visible(user, submission.challenge))


def access_submission_as_host(user: Viewer, submission_uuid: UUID | str) -> Submission:
    """For host actions (disqualify, restore): 404 for everyone else, owners included."""
    if not is_host(user):
        raise _not_found()
    return access_submission(user, submission_uuid).submission
