"""Who may see a challenge. Every page and endpoint goes through ``access_challenge``."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.core.errors import ApplicationError

Viewer = User | AnonymousUser


def is_host(user: Viewer) -> bool:
    return isinstance(user, User) and user.is_active and user.is_host


def access_challenge(user: Viewer, slug: str) -> Challenge:
    """The challenge, if the user may see it; drafts exist for hosts only (404 otherwise)."""
    challenge = Challenge.objects.filter(slug=slug).first()
    if challenge is None or (challenge.status == ChallengeStatus.DRAFT and not is_host(user)):
        raise ApplicationError("No such challenge.", code="not_found", status=404)
    return challenge


def require_host(user: Viewer) -> User:
    if not is_host(user):
        raise ApplicationError("Only hosts can do this.", code="permission_denied", status=403)
    assert isinstance(user, User)
    return user


def is_blind_judge(user: Viewer, challenge: Challenge) -> bool:
    """Whether ``user`` judges this challenge's finalists and must not yet see who made
    them: until the results are published, a judge sees no board, no title and no name
    of an entry, on any page or endpoint (a title such as "Bob's second spin" would
    name its maker; a live board would tie a finalist's music to it)."""
    if not (isinstance(user, User) and challenge.has_judging) or challenge.results_published:
        return False
    return challenge.judges.filter(pk=user.pk).exists()


def board_hidden_reason(user: Viewer, challenge: Challenge) -> str | None:
    """Why the user may not see scores and ranks in this challenge (None: they may).

    A hidden board, and every score on it, is seen by hosts only until the results are
    published; a judge of the challenge sees no board at all until then."""
    if is_host(user) or challenge.results_published:
        return None
    if is_blind_judge(user, challenge):
        return (
            "You judge this challenge: its leaderboard, and every entry's title and maker, "
            "stay hidden from you until the results are published, so that you judge the "
            "finalists without knowing who made them."
        )
    if challenge.has_hidden_board:
        return "The leaderboard of this challenge is hidden until the results are published."
    return None


def scores_visible(user: Viewer, challenge: Challenge) -> bool:
    """Whether the user may see scores and ranks in this challenge."""
    return board_hidden_reason(user, challenge) is None
