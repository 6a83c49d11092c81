"""What the broker can tell us about a queue: how many messages wait, and how old the
oldest is. The reapers ask before re-publishing (a message still waiting must not be
published twice) and ``/healthz/workers`` reports it.

Every message we publish carries a ``published_at`` header (a Unix time, stamped by
``stamp_publish_time`` below), so the age of the message at the head of a Redis queue
can be read from the broker itself. Other transports cannot show a queue's head
cheaply; there the apps register a database proxy (the oldest row still waiting for
that queue's task) with ``register_backlog_proxy``.

Everything here answers ``None`` when the broker cannot be asked: callers then assume
the worst that is safe for them (a reaper assumes the message may still be queued).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery.signals import before_task_publish
from django.conf import settings
from django.utils import timezone

from chartbusters.celery import app as celery_app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0
PUBLISHED_AT_HEADER = "published_at"

# queue name -> functions giving when the oldest row waiting for that queue was queued
_backlog_proxies: dict[str, list[Callable[[], datetime | None]]] = {}


@before_task_publish.connect
def stamp_publish_time(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Stamp each message with the time it was handed to the broker."""
    if headers is not None:
        headers.setdefault(PUBLISHED_AT_HEADER, time.time())


def known_queues() -> list[str]:
    """The queues our tasks are routed to (settings hold the one list)."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *routed})


def queue_of(task_name: str) -> str:
    """The queue a task is published to by default, as the router decides."""
    options = celery_app.amqp.router.route({}, task_name)
    queue = options.get("queue")
    return str(getattr(queue, "name", queue) or settings.CELERY_TASK_DEFAULT_QUEUE)


def queue_depth(queue: str) -> int | None:
    """Messages ready in ``queue`` (not those a worker holds); None when the broker
    does not answer. A queue the broker does not know holds nothing."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            try:
                declared = connection.default_channel.queue_declare(queue=queue, passive=True)
            except connection.channel_errors:
                return 0  # never declared, or (Redis) a list that emptied away
            return int(declared.message_count)
    except Exception:  # kombu raises many unrelated types for "down"
        logger.warning("Could not read the depth of queue %s", queue, exc_info=True)
        return None


def oldest_message_published_at(queue: str) -> datetime | None:
    """When the next message of ``queue`` to be consumed was published, read from the
    broker (Redis only); None when the queue is empty or this cannot be read there."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            if connection.transport.driver_type != "redis":
                return None
            # kombu's Redis transport pushes on the left and pops on the right.
            raw = connection.default_channel.client.lindex(queue, -1)
    except Exception:
        logger.warning("Could not read the head of queue %s", queue, exc_info=True)
        return None
    if raw is None:
        return None
    try:
        stamp = json.loads(raw)["headers"][PUBLISHED_AT_HEADER]
        return datetime.fromtimestamp(float(stamp), tz=timezone.get_current_timezone())
    except (ValueError, KeyError, TypeError):
        return None


def register_backlog_proxy(queue: str, oldest_waiting: Callable[[], datetime | None]) -> None:
    """Let an app tell, from its rows, since when the oldest work for ``queue`` waits."""
    _backlog_proxies.setdefault(queue, []).append(oldest_waiting)


def oldest_waiting_since(queue: str) -> datetime | None:
    """Since when the oldest message of ``queue`` waits: the broker's word where it can
    give it (Redis), else the registered database proxy; None when nothing waits."""
    if _broker_is_redis():
        published = oldest_message_published_at(queue)
        if published is not None:
            return published
        depth = queue_depth(queue)
        if depth == 0:
            return None
    return backlog_proxy_since(queue)


def backlog_proxy_since(queue: str) -> datetime | None:
    """Since when the oldest row waiting for ``queue`` waits, by the apps' proxies."""
    times = [since for proxy in _backlog_proxies.get(queue, []) if (since := proxy())]
    return min(times, default=None)


def _broker_is_redis() -> bool:
    return str(celery_app.conf.broker_url or "").startswith(("redis://", "rediss://"))
