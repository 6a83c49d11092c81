"""Sign up, log in, log out, profile and password flows through HTTP."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from chartbusters.accounts.models import Role, User
from tests.chartbusters.conftest import PASSWORD
from tests.chartbusters.helpers import link_in, sign_up

pytestmark = pytest.mark.django_db


def test_a_visitor_signs_up_confirms_the_address_and_logs_in(client: Client) -> None:
    response = sign_up(client, "newbie", "newbie@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    user = User.objects.get(username="newbie")
    assert user.role == Role.PARTICIPANT
    assert not user.is_staff
    assert not user.email_verified
    assert "_auth_user_id" not in client.session  # not logged in before confirming
    [message] = mail.outbox
    assert message.to == ["newbie@example.com"]

    response = client.get(link_in(message), follow=True)
    assert response.status_code == 200
    assert "newbie@example.com is confirmed" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified
    response = client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    assert response.status_code == 302


def test_signup_rejects_mismatched_passwords_and_creates_nothing(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": "x@example.com", "password1": PASSWORD, "password2": "other"},
    )
    assert response.status_code == 200
    assert "password fields didn’t match" in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_a_user_logs_in_and_out(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_wrong_password_does_not_log_in(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_a_user_edits_the_profile(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "Alice A.", "email": "a@example.org", "bio": "I like fugues."},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    # A new address only counts once its mailbox answers (see test_identity_emails.py).
    assert (alice.display_name, alice.email, alice.bio) == (
        "Alice A.",
        "alice@example.com",
        "I like fugues.",
    )
    [message] = mail.outbox
    assert message.to == ["a@example.org"]
    client.get(link_in(message))
    alice.refresh_from_db()
    assert (alice.email, alice.email_verified) == ("a@example.org", True)
    assert "Alice A." in client.get("/accounts/profile/").content.decode()


def test_a_user_changes_the_password(client: Client, alice: User) -> None:
    client.force_login(alice)
    new = "another-long-password-99"
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_a_user_resets_a_forgotten_password_by_email(client: Client, alice: User) -> None:
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", str(mail.outbox[0].body))
    assert link is not None
    path = link.group(0).split("testserver", 1)[1]
    response = client.get(path, follow=True)  # Django swaps the token for a session marker
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0]
    new = "brand-new-password-77"
    response = client.post(set_password_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client: Client) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_giving_the_host_role_grants_admin_access(client: Client, host: User, alice: User) -> None:
    assert host.is_staff
    client.force_login(host)
    assert client.get("/admin/").status_code == 200
    client.force_login(alice)
    assert client.get("/admin/").status_code == 302
