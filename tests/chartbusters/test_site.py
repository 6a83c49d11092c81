"""The base site: pages, API docs and the health check."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from chartbusters.celery import app as celery_app

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


def point_broker_at(url: str) -> None:
    # Publishing uses the write URL, which Celery copies from broker_url (and which an
    # earlier test may have pinned), and the pools hold connections to the old URL.
    for setting in ("broker_url", "broker_write_url", "broker_read_url"):
        celery_app.conf[setting] = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_url(url: str) -> Iterator[None]:
    # Celery reads CELERY_BROKER_URL from the environment before its own config.
    old_conf, old_env = celery_app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    point_broker_at(url)
    os.environ["CELERY_BROKER_URL"] = url
    try:
        yield
    finally:
        point_broker_at(old_conf)
        if old_env is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = old_env


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point the live connection at a database that does not exist, then restore it."""
    saved: dict[str, Any] = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-dir/none.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


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
