"""Fixtures shared by the Django tests: fixed actors and API clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chartbusters.accounts.models import Role, User
from chartbusters.accounts.services import user_create
from chartbusters.celery import app as celery_app
from chartbusters.core.queues import known_queues

PASSWORD = "a-long-test-password-42"


def make_user(username: str, role: str = Role.PARTICIPANT, *, verified: bool = True) -> User:
    """An account made for the test, its address confirmed unless ``verified=False``."""
    return user_create(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        role=role,
        email_verified=verified,
    )


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> Iterator[None]:
    """Throttle counters live in the cache (Redis, shared between runs): each test
    starts with none, so tests that log in or sign up often are never throttled."""
    cache.clear()
    yield
    cache.clear()


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


def purge_queues() -> None:
    """Drop every message waiting in our queues on the configured broker."""
    with celery_app.connection_for_write() as connection:
        for queue in known_queues():
            with suppress(*connection.channel_errors):  # never declared: nothing to drop
                connection.default_channel.queue_purge(queue)


@pytest.fixture
def empty_queues() -> Iterator[None]:
    """The broker's queues are empty when the test starts and after it (tests that
    count or age messages; other tests leave messages behind)."""
    purge_queues()
    yield
    purge_queues()
