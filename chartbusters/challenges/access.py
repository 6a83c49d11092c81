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


def scores_visible(user: Viewer, challenge: Challenge) -> bool:
    """Whether the user may see scores and ranks in this challenge: a hidden board, and
    every score on it, is seen by hosts only until the results are published."""
    if is_host(user):
        return True
    return not challenge.has_hidden_board or challenge.results_published
