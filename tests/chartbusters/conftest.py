"""Fixtures shared by the Django tests: fixed actors and API clients, challenges, a real
judge's profile, and the settings the competition, studio and hardening tests run under."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chartbusters.accounts.models import Role, User
from chartbusters.accounts.services import user_create
from chartbusters.celery import app as celery_app
from chartbusters.challenges.models import Challenge, LeaderboardVisibility
from chartbusters.core.queues import known_queues
from tests.chartbusters.builders import make_challenge

PASSWORD = "a-long-test-password-42"
REPO = Path(__file__).resolve().parents[2]
NO_PROFILE = "no shipped evaluation profile yet"


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


@pytest.fixture
def redis_queues(empty_queues: None) -> None:
    """The broker's queues, empty, where messages' ages can be read (a Redis list)."""
    if not str(celery_app.conf.broker_url).startswith("redis://"):
        pytest.skip("puts messages of a known age in the broker's queue: a Redis list")


# ----- settings the competition, studio and hardening tests ask for -----------------------
# Not autouse here: the accounts tests keep the real password hasher, so they cover it.


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    """The actors' passwords need not be hashed slowly here (accounts tests cover that)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_in_tmp(settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Uploads go to a fresh folder, except where a worker process must read them."""
    if request.node.get_closest_marker("worker") is None:
        settings.MEDIA_ROOT = tmp_path / "media"


# ----- challenges --------------------------------------------------------------------------


@pytest.fixture
def challenge(db: None) -> Challenge:
    """Open now, with a live leaderboard."""
    return make_challenge()


@pytest.fixture
def hidden_challenge(db: None) -> Challenge:
    """Open now, its leaderboard hidden until results are published."""
    return make_challenge("hidden-gems", leaderboard_visibility=LeaderboardVisibility.HIDDEN)


# ----- a real evaluation profile -----------------------------------------------------


def _build_quick_profile(output: Path) -> bool:
    if shutil.which(sys.executable) is None:
        return False
    result = subprocess.run(
        [sys.executable, "-m", "evaluation", "build-profile", "bach-chorales", "--quick",
         "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    return result.returncode == 0 and (output / "bach-chorales" / "profile.json").exists()


@pytest.fixture(scope="session")
def profiles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a scoring profile: the shipped ones if they exist, else a tiny
    one built with ``--quick``; the tests that need one are skipped when neither works."""
    try:
        from evaluation.profile import PROFILES_DIR
    except ImportError:
        pytest.skip(NO_PROFILE)
    if (PROFILES_DIR / "bach-chorales" / "profile.json").exists():
        return PROFILES_DIR
    built = tmp_path_factory.mktemp("profiles")
    if not _build_quick_profile(built):
        pytest.skip(NO_PROFILE)
    return built


@pytest.fixture
def real_judge(profiles_dir: Path, settings: Any) -> Path:
    settings.EVALUATION_PROFILES_DIR = str(profiles_dir)
    return profiles_dir
