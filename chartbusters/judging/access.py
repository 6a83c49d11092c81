"""Who may judge: the challenge's judges, once entries have closed, until results are out.

Nobody judges a challenge they entered: the rule is checked here, at every use, as
well as when judges are assigned (``judging.services.judges_check``) and when an entry
is made (``submissions.services.submission_create``), so that no order of events lets
a participant score their own entry.
"""

from __future__ import annotations

from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.access import Viewer, access_challenge
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.submissions.models import Submission


def has_entered(user: User, challenge: Challenge) -> bool:
    return Submission.objects.filter(challenge=challenge, participant=user).exists()


def access_judging(user: Viewer, slug: str) -> tuple[Challenge, User]:
    challenge = access_challenge(user, slug)
    if not isinstance(user, User) or not challenge.judges.filter(pk=user.pk).exists():
        raise ApplicationError(
            "You are not a judge of this challenge.", code="not_found", status=404
        )
    if not challenge.has_judging:
        raise ApplicationError("This challenge has no judging.", code="no_judging", status=404)
    if has_entered(user, challenge):
        raise ApplicationError(
            "You entered this challenge, so you cannot judge it.", code="conflict", status=403
        )
    if timezone.now() < challenge.ends_at:
        raise ApplicationError("Judging starts when entries close.", code="not_yet", status=403)
    return challenge, user
