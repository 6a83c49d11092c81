"""Production settings seen through HTTP: HTTPS redirect, HSTS, secure cookies, proxy
headers and API throttling (``check --deploy`` is in tests/chartbusters/test_deployment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge

REPO = Path(__file__).resolve().parents[3]
# Runs in a fresh interpreter with production settings: requests through the test client
# (no database needed for these pages), answers printed as JSON.
PROBE = """
import json, django
django.setup()
from django.conf import settings
# Pages render {% static %}; the manifest storage needs collectstatic, which is not run here.
settings.STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(HTTP_HOST="charts.example.org")
out = {}
def seen(name, response):
    cookie = response.cookies.get("csrftoken")
    out[name] = {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
        "frame": response.get("X-Frame-Options", ""),
        "nosniff": response.get("X-Content-Type-Options", ""),
        "referrer": response.get("Referrer-Policy", ""),
        "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    }
seen("http", client.get("/accounts/login/"))
seen("https", client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https"))
seen("healthz", client.get("/healthz"))
print(json.dumps(out))
"""


def probe(tmp_path: Path, **env: str) -> dict[str, dict[str, Any]]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    clean.update(
        DJANGO_SETTINGS_MODULE="chartbusters.settings",
        DEBUG="False",
        SECRET_KEY="a-production-secret-key-that-is-long-and-random-0123456789-abcdef",
        ALLOWED_HOSTS="charts.example.org",
        DATA_DIR=str(tmp_path),
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers: dict[str, dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return answers


@pytest.mark.slow
def test_behind_a_tls_proxy_pages_are_https_only_with_hsts_and_secure_cookies(
    tmp_path: Path,
) -> None:
    seen = probe(tmp_path, USE_PROXY_HEADERS="True")
    assert seen["http"]["status"] == 301
    assert seen["http"]["location"] == "https://charts.example.org/accounts/login/"
    https = seen["https"]
    assert https["status"] == 200
    assert https["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert https["csrf_cookie_secure"] is True
    assert (https["frame"], https["nosniff"], https["referrer"]) == (
        "DENY",
        "nosniff",
        "same-origin",
    )
    # The load balancer's health check speaks plain HTTP and must not be redirected.
    assert seen["healthz"]["status"] != 301


@pytest.mark.slow
def test_without_a_trusted_proxy_a_forged_https_header_is_ignored(tmp_path: Path) -> None:
    seen = probe(tmp_path)
    assert seen["https"]["status"] == 301  # X-Forwarded-Proto is not trusted
    assert seen["https"]["hsts"] == ""  # HSTS is only sent over HTTPS


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {"anon": "3/min", "user": "5/min", "submit": "30/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.django_db
def test_anonymous_api_reads_are_throttled_with_a_message(
    low_rates: None, challenge: Challenge
) -> None:
    api = APIClient()
    codes = [api.get("/api/challenges/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get(f"/api/challenges/{challenge.slug}/leaderboard/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["code"]
    assert refused.json()["detail"]


@pytest.mark.django_db
def test_each_user_has_their_own_api_allowance(low_rates: None, alice: User, bob: User) -> None:
    api = APIClient()
    api.force_authenticate(alice)
    assert [api.get("/api/me/").status_code for _ in range(6)] == [200] * 5 + [429]
    api.force_authenticate(bob)
    assert api.get("/api/me/").status_code == 200
