"""The hardening tests use the competition tests' fixtures (actors, challenges, profiles)."""

from __future__ import annotations

from tests.chartbusters.competition.conftest import (
    _fast_passwords,
    _fresh_throttles,
    _media_in_tmp,
    challenge,
    hidden_challenge,
    profiles_dir,
    real_judge,
)

__all__ = [
    "_fast_passwords",
    "_fresh_throttles",
    "_media_in_tmp",
    "challenge",
    "hidden_challenge",
    "profiles_dir",
    "real_judge",
]
