"""Who a client is, for the API's throttles: the address nginx saw, never a header the
client wrote itself.

nginx (deploy/nginx/default.conf.template) sets X-Forwarded-For to the client's address,
overwriting what the client sent; Django trusts it only with USE_PROXY_HEADERS=True. Without
a proxy, DRF used the whole X-Forwarded-For header as the client's identity, so a client
could dodge every anonymous throttle by sending a new made-up address each time.
"""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {"anon": "3/min", "user": "5/min", "submit": "30/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def forged_reads(api: APIClient, count: int) -> list[int]:
    return [
        api.get("/api/challenges/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(count)
    ]


def test_without_a_proxy_a_forged_forwarded_for_does_not_dodge_the_throttle(
    low_rates: None,
) -> None:
    assert forged_reads(APIClient(), 4) == [200, 200, 200, 429]


def test_behind_the_proxy_each_address_it_reports_has_its_own_allowance(
    low_rates: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)  # as with USE_PROXY_HEADERS=True
    api = APIClient()
    # nginx overwrites the header with the one address it saw.
    same = [
        api.get("/api/challenges/", HTTP_X_FORWARDED_FOR="10.0.0.7").status_code for _ in range(4)
    ]
    assert same == [200, 200, 200, 429]
    assert api.get("/api/challenges/", HTTP_X_FORWARDED_FOR="10.0.0.8").status_code == 200
