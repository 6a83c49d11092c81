"""What a participant sends to the API and a host to the admin, for the competition tests."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.challenges.models import Challenge
from tests.chartbusters.builders import piece


def upload(data: bytes, name: str = "my piece.mid") -> BytesIO:
    handle = BytesIO(data)
    handle.name = name
    return handle


def submit(api: APIClient, challenge: Challenge, **fields: Any) -> Any:
    body = {"title": "Chorale", "technique": "upload", "file": upload(piece(1))} | fields
    return api.post(f"/api/challenges/{challenge.slug}/submissions/", body, format="multipart")


def form_data(**overrides: object) -> dict[str, object]:
    now = timezone.now()
    data: dict[str, object] = {
        "title": "Bach to the Future",
        "slug": "bach-to-the-future",
        "theme": "Four parts, one century",
        "description": "Write a chorale.",
        "starts_at_0": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": (now + timedelta(days=30)).strftime("%Y-%m-%d"),
        "ends_at_1": "10:00:00",
        "allowed_techniques": ["arcnn", "upload"],
        "provenance_rule": "any",
        "daily_quota": "5",
        "total_quota": "50",
        "evaluation_profile": "bach-chorales",
        "weight_realism": "0.5",
        "weight_typicality": "0.3",
        "weight_frechet": "0.2",
        "leaderboard_visibility": "hidden",
        "finalists_count": "5",
        "judge_weight": "0.5",
    }
    data.update(overrides)
    return data
