"""What an account may do before its email address is confirmed."""

from __future__ import annotations

from chartbusters.accounts.models import User
from chartbusters.core.errors import ApplicationError

UNVERIFIED_MESSAGE = (
    "Verify your email address first: open the link we sent to {email}, or send a new "
    "one from your profile."
)


def require_verified_email(user: User) -> None:
    """Entering a challenge and liking entries need a confirmed address, so one person
    cannot enter or vote as many throwaway accounts (403 otherwise)."""
    if not user.email_verified:
        raise ApplicationError(
            UNVERIFIED_MESSAGE.format(email=user.email or "your address"),
            code="email_unverified",
            status=403,
        )
