"""What a visitor does through the site's pages, for any test that needs it: sign up, and
follow the link in an email the site sent."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client

from tests.chartbusters.conftest import PASSWORD


def sign_up(client: Client, username: str, email: str) -> Any:
    data = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", data)


def link_in(message: mail.EmailMessage) -> str:
    """The path of the first link to this site in an email."""
    found = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert found is not None, message.body
    return found.group(1)
