"""Log-in, sign-up and password reset are throttled: past a limit the answer is 429 with a
message, and the password is not even checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core import mail
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.env import Rate
from tests.chartbusters.conftest import PASSWORD
from tests.chartbusters.helpers import sign_up

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT = Rate(count=3, seconds=HOUR)
    settings.THROTTLE_LOGIN_ADDRESS = Rate(count=5, seconds=HOUR)
    settings.THROTTLE_SIGNUP_ADDRESS = Rate(count=2, seconds=HOUR)
    settings.THROTTLE_PASSWORD_RESET = Rate(count=2, seconds=HOUR)


@pytest.fixture
def password_checks() -> Any:
    """Counts the passwords Django checked and found wrong."""
    failures: list[str] = []

    def record(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        failures.append(credentials.get("username", ""))

    user_login_failed.connect(record)
    yield failures
    user_login_failed.disconnect(record)


def log_in(path: str, username: str, password: str, address: str = "10.0.0.1") -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post(path, {"username": username, "password": password})


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_for_one_account_are_throttled(
    path: str, alice: User, password_checks: list[str]
) -> None:
    for i in range(3):
        assert log_in(path, "alice", f"wrong-{i}", address=f"10.0.0.{i}").status_code == 200
    response = log_in(path, "alice", PASSWORD, address="10.0.0.9")
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert password_checks == ["alice"] * 3  # the fourth password was never checked
    assert "_auth_user_id" not in Client().session


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_from_one_address_are_throttled(path: str, db: None) -> None:
    for i in range(5):
        assert log_in(path, f"nobody{i}", "guess").status_code == 200
    response = log_in(path, "somebody-else", "guess")
    assert response.status_code == 429
    assert log_in(path, "somebody-else", "guess", address="10.9.9.9").status_code == 200


def test_an_unknown_account_is_throttled_like_a_known_one(db: None) -> None:
    for _ in range(3):
        log_in("/accounts/login/", "ghost", "guess", address="10.0.0.7")
    assert log_in("/accounts/login/", "ghost", "guess", address="10.0.0.8").status_code == 429


def test_successful_log_ins_are_not_counted(alice: User) -> None:
    for _ in range(8):
        assert log_in("/accounts/login/", "alice", PASSWORD).status_code == 302


def test_sign_ups_are_throttled_per_address(db: None) -> None:
    client = Client(REMOTE_ADDR="10.1.1.1")
    sign_up(client, "first", "first@example.com")
    sign_up(client, "second", "second@example.com")
    response = sign_up(client, "third", "third@example.com")
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert sorted(User.objects.values_list("username", flat=True)) == ["first", "second"]
    other = sign_up(Client(REMOTE_ADDR="10.2.2.2"), "third", "third@example.com")
    assert other.status_code == 302


def test_password_resets_are_throttled_per_email_and_per_address(alice: User) -> None:
    for address in ("10.3.3.1", "10.3.3.2"):
        client = Client(REMOTE_ADDR=address)
        assert (
            client.post("/accounts/password/reset/", {"email": "alice@example.com"}).status_code
            == 302
        )
    third = Client(REMOTE_ADDR="10.3.3.3")
    response = third.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert len(mail.outbox) == 2
    one_address = Client(REMOTE_ADDR="10.4.4.4")
    for i in range(2):
        one_address.post("/accounts/password/reset/", {"email": f"x{i}@example.com"})
    response = one_address.post("/accounts/password/reset/", {"email": "y@example.com"})
    assert response.status_code == 429


def test_behind_our_proxy_the_client_is_the_forwarded_address(settings: Any, db: None) -> None:
    settings.THROTTLE_CLIENT_FROM_FORWARDED_FOR = True
    proxy = Client(REMOTE_ADDR="172.18.0.2")
    for i in range(5):
        proxy.post(
            "/accounts/login/",
            {"username": f"n{i}", "password": "x"},
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.5",
        )
    refused = proxy.post(
        "/accounts/login/", {"username": "m", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    other = proxy.post(
        "/accounts/login/", {"username": "m", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert (refused.status_code, other.status_code) == (429, 200)


def test_ipv6_clients_are_counted_per_64_block(db: None) -> None:
    for i in range(5):
        log_in("/accounts/login/", f"n{i}", "x", address=f"2001:db8:1:2::{i + 1}")
    assert log_in("/accounts/login/", "m", "x", address="2001:db8:1:2:ffff::1").status_code == 429
    assert log_in("/accounts/login/", "m", "x", address="2001:db8:1:3::1").status_code == 200
