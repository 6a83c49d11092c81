"""Fixtures for the studio tests: a sample input and logged-in API clients; every test runs
with quick password hashing and its own media folder, as the competition tests do."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.models import Composition
from chartbusters.studio.services import composition_create_from_sample
from tests.chartbusters.studio.helpers import SAMPLE, client_for


@pytest.fixture(autouse=True)
def _sandboxed(fast_passwords: None, media_in_tmp: None) -> None:
    """Every test here hashes passwords quickly and keeps its uploads in a fresh folder."""


@pytest.fixture
def as_alice(alice: User) -> APIClient:
    return client_for(alice)


@pytest.fixture
def as_bob(bob: User) -> APIClient:
    return client_for(bob)


@pytest.fixture
def sample_input(alice: User) -> Composition:
    return composition_create_from_sample(user=alice, slug=SAMPLE)
