"""The base site: pages, API docs and the health check."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.chartbusters.faults import broker_url, database_unreachable

pytestmark = pytest.mark.django_db


def test_the_home_page_renders_with_navigation(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chartbusters" in html
    assert 'href="/accounts/signup/"' in html
    assert 'href="/api/docs/"' in html


def test_the_openapi_schema_and_docs_are_served(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/tokens/" in paths
    assert "/api/me/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # The Swagger UI assets are served locally: the machine has no internet.
    assert "drf_spectacular_sidecar" in docs.content.decode()


def test_healthz_reports_the_database_and_broker(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(client: Client) -> None:
    with broker_url("redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_when_the_database_is_down(client: Client) -> None:
    with database_unreachable():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False
    assert client.get("/healthz").status_code == 200  # and recovers once it is back
