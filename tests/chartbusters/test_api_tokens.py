"""API tokens: created and revoked by their owner, on the web and through the API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import ApiToken, User
from chartbusters.accounts.services import MAX_ACTIVE_TOKENS, api_token_create
from tests.chartbusters.conftest import PASSWORD
from tests.chartbusters.helpers import link_in

pytestmark = pytest.mark.django_db


def test_the_api_needs_authentication(api: APIClient) -> None:
    response = api.get("/api/me/")
    assert response.status_code in (401, 403)


def test_a_user_creates_a_token_and_uses_it(api: APIClient, alice: User) -> None:
    api.force_authenticate(alice)
    response = api.post("/api/tokens/", {"name": "laptop"}, format="json")
    assert response.status_code == 201
    key = response.json()["key"]
    api.force_authenticate(None)

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get("/api/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    token = ApiToken.objects.get(user=alice)
    assert token.last_used_at is not None
    assert key not in (token.key_hash, token.prefix)  # only the hash is stored


def test_the_key_is_shown_only_once(api: APIClient, alice: User) -> None:
    api_token_create(user=alice, name="ci")
    api.force_authenticate(alice)
    listing = api.get("/api/tokens/").json()
    assert [t["name"] for t in listing] == ["ci"]
    assert "key" not in listing[0]


def test_a_revoked_token_no_longer_authenticates(api: APIClient, alice: User) -> None:
    token, key = api_token_create(user=alice, name="old")
    api.force_authenticate(alice)
    assert api.delete(f"/api/tokens/{token.pk}/").status_code == 204
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


def test_a_user_cannot_revoke_someone_elses_token(api: APIClient, alice: User, bob: User) -> None:
    token, _ = api_token_create(user=alice, name="mine")
    api.force_authenticate(bob)
    response = api.delete(f"/api/tokens/{token.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such token.", "code": "invalid"}
    token.refresh_from_db()
    assert token.is_active


def test_another_users_tokens_are_not_listed(api: APIClient, alice: User, bob: User) -> None:
    api_token_create(user=alice, name="alice-only")
    api.force_authenticate(bob)
    assert api.get("/api/tokens/").json() == []


def test_a_nameless_token_is_refused_with_a_message(api: APIClient, alice: User) -> None:
    api.force_authenticate(alice)
    response = api.post("/api/tokens/", {"name": "   "}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["detail"].lower() or "fields" in response.json()


def test_the_number_of_active_tokens_is_limited(api: APIClient, alice: User) -> None:
    for i in range(MAX_ACTIVE_TOKENS):
        api_token_create(user=alice, name=f"t{i}")
    api.force_authenticate(alice)
    response = api.post("/api/tokens/", {"name": "one too many"}, format="json")
    assert response.status_code == 400
    assert f"the limit is {MAX_ACTIVE_TOKENS}" in response.json()["detail"]


def test_a_user_creates_and_revokes_a_token_on_the_profile_page(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    page = client.post("/accounts/tokens/", {"name": "web token"}, follow=True)
    html = page.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert "Copy it now" in html
    assert f"{token.prefix}" in html
    # The key is shown once: a reload no longer shows it.
    assert "Copy it now" not in client.get("/accounts/profile/").content.decode()
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert not token.is_active


def test_revoking_needs_a_post(client: Client, alice: User) -> None:
    token, _ = api_token_create(user=alice, name="x")
    client.force_login(alice)
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.is_active


def as_token(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_token_cannot_create_tokens(alice: User) -> None:
    _, key = api_token_create(user=alice, name="parent")
    response = as_token(key).post("/api/tokens/", {"name": "child"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "session_required"
    assert "signed-in session" in response.json()["detail"]
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["parent"]


def test_a_token_still_revokes_itself(alice: User) -> None:
    token, key = api_token_create(user=alice, name="leaked")
    assert as_token(key).delete(f"/api/tokens/{token.pk}/").status_code == 204
    assert as_token(key).get("/api/me/").status_code == 401


def test_changing_the_password_revokes_every_token(client: Client, alice: User) -> None:
    _, key = api_token_create(user=alice, name="laptop")
    client.force_login(alice)
    new = "another-long-password-99"
    client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert as_token(key).get("/api/me/").status_code == 401
    assert client.get("/accounts/profile/").status_code == 200  # this session goes on


def test_a_password_reset_revokes_every_token(client: Client, alice: User) -> None:
    _, key = api_token_create(user=alice, name="laptop")
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    response = client.get(link_in(mail.outbox[0]), follow=True)
    new = "brand-new-password-77"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert as_token(key).get("/api/me/").status_code == 401


def test_a_password_set_anywhere_else_ends_the_tokens_made_before(alice: User) -> None:
    """The admin, manage.py changepassword: the token is bound to the old password."""
    old, old_key = api_token_create(user=alice, name="before")
    alice.set_password("set-by-a-host-123")
    alice.save(update_fields=["password"])
    new, new_key = api_token_create(user=alice, name="after")
    assert as_token(old_key).get("/api/me/").status_code == 401
    assert as_token(new_key).get("/api/me/").status_code == 200
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_active, new.is_active) == (False, True)


def test_the_profile_shows_tokens_ended_by_a_password_set_elsewhere_as_revoked(
    client: Client, alice: User
) -> None:
    token, _ = api_token_create(user=alice, name="before")
    alice.set_password("set-by-a-host-123")
    alice.save(update_fields=["password"])
    client.force_login(alice)
    assert "revoked" in client.get("/accounts/profile/").content.decode()
    token.refresh_from_db()
    assert not token.is_active


def test_logging_out_everywhere_ends_other_sessions_and_every_token(alice: User) -> None:
    _, key = api_token_create(user=alice, name="laptop")
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert elsewhere.get("/accounts/profile/").status_code == 200
    response = here.post("/accounts/logout/everywhere/", follow=True)
    assert "revoked" in response.content.decode()
    assert here.get("/accounts/profile/").status_code == 200
    assert elsewhere.get("/accounts/profile/").status_code == 302
    assert as_token(key).get("/api/me/").status_code == 401
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    _, fresh = api_token_create(user=alice, name="new laptop")
    assert as_token(fresh).get("/api/me/").status_code == 200
