"""Sign-up and password reset tell a visitor nothing about which accounts exist.

Whatever the username and address, the sign-up page answers the same (a redirect to
"check your email"); what differs goes by email to the address given, so only the
holder of that mailbox learns it.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from chartbusters.accounts.models import User
from tests.chartbusters.conftest import PASSWORD
from tests.chartbusters.helpers import link_in, sign_up

pytestmark = pytest.mark.django_db


def _visible(client: Client, username: str, email: str) -> tuple[int, str, str]:
    """What the visitor sees: status, where it sends them and that page."""
    response = sign_up(client, username, email)
    followed = client.get(response["Location"]) if response.status_code == 302 else response
    return response.status_code, response.get("Location", ""), followed.content.decode()


def test_signup_answers_the_same_for_a_new_a_taken_email_and_a_taken_username(
    alice: User,
) -> None:
    fresh = _visible(Client(), "newbie", "newbie@example.com")
    taken_email = _visible(Client(), "someone", "ALICE@example.com")
    taken_name = _visible(Client(), "alice", "other@example.com")
    lookalike_name = _visible(Client(), "AIice", "third@example.com")
    assert fresh[:2] == (302, "/accounts/signup/sent/")
    assert taken_email == fresh
    assert taken_name == fresh
    assert lookalike_name == fresh
    assert "already" not in fresh[2]
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "newbie"}


def test_the_owner_of_a_taken_email_is_told_by_email(alice: User) -> None:
    sign_up(Client(), "someone", "Alice@Example.com")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "already belongs to your account" in str(message.body)
    assert not User.objects.filter(username="someone").exists()


def test_a_taken_username_is_told_only_to_the_mailbox_given(alice: User) -> None:
    sign_up(Client(), "alice", "other@example.com")
    [message] = mail.outbox
    assert message.to == ["other@example.com"]
    assert 'username "alice"' in str(message.body)
    assert User.objects.get(username="alice").email == "alice@example.com"


def test_signup_form_errors_do_not_depend_on_existing_accounts(client: Client, alice: User) -> None:
    data = {"username": "alice", "email": "alice@example.com", "password1": PASSWORD}
    response = client.post("/accounts/signup/", {**data, "password2": "different"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "didn’t match" in html
    assert "already" not in html
    assert "taken" not in html


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    client: Client, alice: User
) -> None:
    known = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_new_account_is_confirmed_only_by_its_own_link(client: Client) -> None:
    sign_up(client, "newbie", "newbie@example.com")
    path = link_in(mail.outbox[0])
    tampered = path.replace(path.split("/")[3], path.split("/")[3][:-2] + "xx")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not User.objects.get(username="newbie").email_verified
