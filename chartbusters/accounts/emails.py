"""The emails of sign-up and address changes. Each is plain text from a template in
templates/accounts/emails/ (``NAME.txt``, its first line the subject)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from chartbusters.accounts.confirmation import confirmation_url
from chartbusters.accounts.models import User


def _site(path_name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(path_name)


def _send(template: str, to: str, context: dict[str, Any]) -> None:
    context = {"login_url": _site("accounts:login"), **context}
    subject, _, body = render_to_string(f"accounts/emails/{template}.txt", context).partition("\n")
    send_mail(subject.strip(), body.lstrip("\n"), None, [to])


def send_confirmation(*, user: User, email: str) -> None:
    """The link that confirms ``email`` for ``user`` (a new account or a new address)."""
    link = confirmation_url(user=user, email=email)
    _send("confirm", email, {"user": user, "link": link, "new_account": not user.email_verified})


def send_already_registered(*, owner: User) -> None:
    """Sign-up with an address that has an account: its owner is told, the visitor is not."""
    _send(
        "already_registered",
        owner.email,
        {"user": owner, "reset_url": _site("accounts:password_reset")},
    )


def send_username_unavailable(*, email: str, username: str) -> None:
    """Sign-up with a free address but a name in use (or too like one in use): only the
    holder of the mailbox learns it, so the sign-up page reveals no account."""
    _send(
        "username_unavailable",
        email,
        {"username": username, "signup_url": _site("accounts:signup")},
    )
