"""Ways to break the service inside a test: the broker, the database, a hooked worker."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from chartbusters.celery import app as celery_app
from chartbusters.core.tasks import complete_probe

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# The real Celery app with hooks that hold the judge or crash a render (worker_app's docstring).
HOOKED_APP = "tests.chartbusters.hardening.worker_app"


def point_broker_at(url: str) -> None:
    # Publishing uses the write URL, which Celery copies from broker_url (and which an
    # earlier test may have pinned), and the pools hold connections to the old URL.
    for setting in ("broker_url", "broker_write_url", "broker_read_url"):
        celery_app.conf[setting] = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_down() -> Iterator[None]:
    """The web process publishes to a broker that does not answer (the worker does not
    share this: it is started afterwards, on the configured broker)."""
    configured = celery_app.conf.broker_url
    point_broker_at(DEAD_BROKER)
    try:
        yield
    finally:
        point_broker_at(configured)


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


def publish_probe(queue: str, age_seconds: float = 0.0) -> None:
    """A real message in ``queue``, stamped as if published ``age_seconds`` ago."""
    stamp = {"published_at": time.time() - age_seconds}
    complete_probe.apply_async((0,), queue=queue, headers=stamp)
