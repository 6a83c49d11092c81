"""Nobody can pass for another member: emails are unique (whatever their case) and a
display name may not look like anyone else's name."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.accounts.names import name_skeleton
from tests.chartbusters.conftest import make_user
from tests.chartbusters.helpers import link_in

pytestmark = pytest.mark.django_db


def edit_profile(client: Client, user: User, **fields: str) -> str:
    client.force_login(user)
    data = {"display_name": user.display_name, "email": user.email, "bio": ""} | fields
    return client.post("/accounts/profile/", data, follow=True).content.decode()


def test_the_database_refuses_a_second_account_with_the_same_email(alice: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="copy", email="ALICE@Example.com")
    User.objects.create(username="no-email-1", email="")
    User.objects.create(username="no-email-2", email="")  # several accounts may have none


def test_a_profile_cannot_take_another_members_email(
    client: Client, alice: User, bob: User
) -> None:
    html = edit_profile(client, bob, email="Alice@Example.com")
    # The same answer as for a free address, so the form reveals no account ...
    assert "We sent a link to Alice@Example.com" in html
    # ... but nothing is sent to alice, and bob's address stays his.
    assert mail.outbox == []
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_a_confirmation_link_cannot_take_an_address_claimed_since(
    client: Client, alice: User, bob: User
) -> None:
    edit_profile(client, bob, email="new@example.com")
    User.objects.filter(pk=alice.pk).update(email="NEW@example.com")
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400
    assert "Another account uses this address" in response.content.decode()
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def admin_change(client: Client, user: User, **changes: str) -> Any:
    """Post the admin's change form of ``user`` as it stands, with ``changes``."""
    url = f"/admin/accounts/user/{user.pk}/change/"
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    for name in ("username", "email", "first_name", "last_name", "role", "display_name", "bio"):
        data[name] = form.initial.get(name) or ""
    for name in ("is_active", "email_verified"):
        if form.initial.get(name):
            data[name] = "on"
    return client.post(url, data | changes)


@pytest.fixture
def superuser(client: Client, db: None) -> User:
    root = make_user("root")
    User.objects.filter(pk=root.pk).update(is_superuser=True, is_staff=True)
    client.force_login(root)
    return root


def test_the_admin_saves_a_plain_change(client: Client, superuser: User, alice: User) -> None:
    response = admin_change(client, alice, bio="Edited by a host.")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.bio == "Edited by a host."


def test_the_admin_refuses_a_duplicate_email(client: Client, superuser: User, alice: User) -> None:
    response = admin_change(client, alice, email="ROOT@example.com")
    assert response.status_code == 200
    assert "Another account already uses this email address." in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_the_admin_refuses_a_display_name_that_passes_for_another_member(
    client: Client, superuser: User, alice: User, bob: User
) -> None:
    response = admin_change(client, alice, display_name="B0b")
    assert response.status_code == 200
    assert "too like another member" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == ""


def test_accounts_made_in_the_admin_are_confirmed(client: Client, superuser: User) -> None:
    password = "a-long-admin-password-42"
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "madebyhost", "password1": password, "password2": password,
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302
    assert User.objects.get(username="madebyhost").email_verified


@pytest.mark.parametrize(
    "name",
    [
        "bob",
        "Bob",
        " B O B ",
        "b\u200bob",  # a zero-width space
        "ｂｏｂ",  # fullwidth
        "bоb",  # a Cyrillic o
        "bob.",
        "b\u0301ob",  # a combining accent
    ],
)
def test_a_display_name_cannot_pass_for_another_members_username(
    client: Client, alice: User, bob: User, name: str
) -> None:
    html = edit_profile(client, alice, display_name=name)
    assert "too like another member" in html
    alice.refresh_from_db()
    assert alice.display_name == ""


def test_a_display_name_cannot_pass_for_another_members_display_name(
    client: Client, alice: User, bob: User
) -> None:
    User.objects.filter(pk=bob.pk).update(display_name="The Fugue Master")
    html = edit_profile(client, alice, display_name="the  fugue\u2060master")
    assert "too like another member" in html
    alice.refresh_from_db()
    assert alice.display_name == ""


def test_a_member_may_use_their_own_name_and_distinct_ones(
    client: Client, alice: User, bob: User
) -> None:
    edit_profile(client, alice, display_name="ALICE")
    alice.refresh_from_db()
    assert alice.display_name == "ALICE"
    edit_profile(client, alice, display_name="Alice the Great")
    alice.refresh_from_db()
    assert alice.display_name == "Alice the Great"


def test_name_skeletons_fold_what_readers_cannot_tell_apart() -> None:
    assert name_skeleton("aIice") == name_skeleton("alice")
    assert name_skeleton("ＡＬＩＣＥ") == name_skeleton("alice")
    assert name_skeleton("alice") != name_skeleton("alicia")
    assert name_skeleton("🎵") != name_skeleton("🎸")
