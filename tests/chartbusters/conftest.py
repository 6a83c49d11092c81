"""Fixtures shared by the Django tests: fixed actors and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import Role, User
from chartbusters.accounts.services import user_create

PASSWORD = "a-long-test-password-42"


def make_user(username: str, role: str = Role.PARTICIPANT) -> User:
    return user_create(
        username=username, email=f"{username}@example.com", password=PASSWORD, role=role
    )


@pytest.fixture
def alice(db: None) -> User:
    """A participant: the owner in most tests."""
    return make_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    """Another participant: an outsider who must see nothing of alice's."""
    return make_user("bob")


@pytest.fixture
def judge(db: None) -> User:
    return make_user("judy", Role.JUDGE)


@pytest.fixture
def host(db: None) -> User:
    return make_user("hosty", Role.HOST)


@pytest.fixture
def api() -> APIClient:
    return APIClient()
