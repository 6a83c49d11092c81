"""Email confirmation links: signed, expiring, for one account and one address.

The token signs the account id and the address it was sent to (``django.core.signing``
with our own salt, so no other signed value of the site can pass for it). Opening it
proves that whoever holds that mailbox wants that address on that account: it confirms a
new member's address, and it is the only way an address is changed on the profile, so
nobody can put somebody else's address on their account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from chartbusters.accounts.models import User
from chartbusters.core.errors import ApplicationError

_SALT = "chartbusters.accounts.email-confirmation"


@dataclass(frozen=True)
class Confirmation:
    user_id: int
    email: str


class BadConfirmation(ApplicationError):
    """The link is malformed, tampered with or too old; the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="bad_link", status=400)


def confirmation_token(*, user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email}, salt=_SALT, compress=True)


def confirmation_url(*, user: User, email: str) -> str:
    path = reverse("accounts:confirm_email", args=[confirmation_token(user=user, email=email)])
    return settings.SITE_URL.rstrip("/") + path


def read_confirmation(token: str) -> Confirmation:
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise BadConfirmation("This link has expired. Send yourself a new one.") from None
    except signing.BadSignature:
        raise BadConfirmation(
            "This link is not valid. Copy the whole link from the email."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise BadConfirmation("This link is not valid. Copy the whole link from the email.")
    return Confirmation(user_id=data["u"], email=str(data.get("e", "")))
