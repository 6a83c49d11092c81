"""Who may see a challenge's board and scores.

A live board is public once the challenge is announced. A hidden board, and every score
on it, is seen by hosts only until the results are published: not by participants, not
by judges (who judge finalists blind: they see no board at all, live or hidden, until
the results are published), not through any endpoint or page.
"""

from __future__ import annotations

from chartbusters.challenges.access import Viewer, access_challenge, board_hidden_reason
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError


def access_leaderboard(user: Viewer, slug: str) -> Challenge:
    """The challenge, if the user may see its board (404 / 403 otherwise)."""
    challenge = access_challenge(user, slug)
    reason = board_hidden_reason(user, challenge)
    if reason is not None:
        raise ApplicationError(reason, code="leaderboard_hidden", status=403)
    return challenge
