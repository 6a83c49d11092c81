"""Each queue as an operator sees it: how many messages wait, how old the oldest is, and
which workers consume it (``manage.py queue_status``).

Depth and age come from :mod:`chartbusters.core.queues` (the broker, or the apps' database
proxies where the broker cannot show a queue's head); the consumers come from Celery's
remote control (``celery inspect active_queues``), with the workers' heartbeats beside
them for brokers that cannot broadcast (the embedded filesystem broker).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from chartbusters.celery import app as celery_app
from chartbusters.core.models import WorkerHeartbeat
from chartbusters.core.queues import known_queues, oldest_waiting_since, queue_depth

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueStatus:
    queue: str
    depth: int | None  # messages ready; None when the broker does not answer
    oldest_age_seconds: float | None  # None when nothing waits (or it cannot be told)
    workers: list[str] | None  # consumers by remote control; None when it cannot be asked
    heartbeat_age_seconds: float | None  # since a worker consuming it last beat; None: never

    @property
    def consumed(self) -> bool:
        """A worker answered for it, or (remote control unavailable) beat recently."""
        if self.workers is not None:
            return bool(self.workers)
        fresh = 3 * settings.WORKER_HEARTBEAT_SECONDS
        return self.heartbeat_age_seconds is not None and self.heartbeat_age_seconds <= fresh

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "consumed": self.consumed}


def consumers(timeout: float) -> dict[str, list[str]] | None:
    """Queue -> names of the workers consuming it, by ``inspect active_queues``; None
    when the broker cannot broadcast or does not answer."""
    try:
        answers = celery_app.control.inspect(timeout=timeout).active_queues()
    except Exception:  # kombu raises many unrelated types; a transport may not broadcast
        logger.info("Remote control unavailable for queue status", exc_info=True)
        return None
    found: dict[str, list[str]] = {}
    for worker, queues in (answers or {}).items():
        for queue in queues or []:
            found.setdefault(str(queue.get("name")), []).append(str(worker))
    return found


def queue_statuses(timeout: float = 1.0, now: datetime | None = None) -> list[QueueStatus]:
    """Every queue our tasks are routed to, in name order."""
    now = now or timezone.now()
    working = consumers(timeout)
    try:
        beats = dict(WorkerHeartbeat.objects.values_list("queue", "seen_at"))
    except DatabaseError:
        logger.warning("Queue status: cannot read the worker heartbeats")
        beats = {}
    statuses = []
    for queue in known_queues():
        since = _oldest(queue)
        beat: datetime | None = beats.get(queue)
        statuses.append(
            QueueStatus(
                queue=queue,
                depth=queue_depth(queue),
                oldest_age_seconds=_seconds(now - since) if since else None,
                workers=None if working is None else sorted(working.get(queue, [])),
                heartbeat_age_seconds=_seconds(now - beat) if beat else None,
            )
        )
    return statuses


def _oldest(queue: str) -> datetime | None:
    try:
        return oldest_waiting_since(queue)
    except DatabaseError:
        logger.warning("Queue status: cannot read the backlog of %s", queue)
        return None


def _seconds(delta: timedelta) -> float:
    return round(max(0.0, delta.total_seconds()), 1)
