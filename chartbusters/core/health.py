"""Health checks for ``/healthz`` and ``/healthz/workers``.

Anyone may read these pages, so they say only ok or not ok (and, for queues, whether
someone consumes them and how old their oldest message is). Why a check failed (a host,
a port, a database name, an exception) goes to the log, never into the response.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError
from django.utils import timezone

from chartbusters.celery import app as celery_app
from chartbusters.core.models import WorkerHeartbeat
from chartbusters.core.queues import BROKER_TIMEOUT_SECONDS, known_queues, oldest_waiting_since

logger = logging.getLogger(__name__)


def check_database(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return False
    return True


def check_broker() -> bool:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:  # kombu raises many unrelated types for "down"
        logger.exception("Health check: the broker does not answer")
        return False
    return True


@dataclass(frozen=True)
class QueueHealth:
    consumed: bool  # a worker consuming it beat recently
    oldest_age_seconds: float | None  # None: nothing waits

    @property
    def ok(self) -> bool:
        """A backlog nobody consumes is the one state a person must act on; a long
        backlog that a worker is eating through is slow, not broken."""
        stale = (self.oldest_age_seconds or 0) > settings.HEALTH_QUEUE_MAX_AGE_SECONDS
        return self.consumed or not stale


def check_queues(now: datetime | None = None) -> dict[str, QueueHealth]:
    now = now or timezone.now()
    fresh = now - timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)
    try:
        consumed = set(
            WorkerHeartbeat.objects.filter(seen_at__gte=fresh).values_list("queue", flat=True)
        )
    except DatabaseError:
        logger.exception("Health check: cannot read the worker heartbeats")
        consumed = set()
    return {queue: _queue_health(queue, queue in consumed, now) for queue in known_queues()}


def _queue_health(queue: str, consumed: bool, now: datetime) -> QueueHealth:
    try:
        since = oldest_waiting_since(queue)
    except DatabaseError:
        logger.exception("Health check: cannot read the backlog of queue %s", queue)
        since = None
    age = max(0.0, (now - since).total_seconds()) if since else None
    return QueueHealth(consumed=consumed, oldest_age_seconds=age)
