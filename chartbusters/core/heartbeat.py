"""Workers' heartbeats: each worker process group says, per queue it consumes, that it
is alive, so ``/healthz/workers`` can tell a queue nobody consumes from a busy one.

The beat runs in a daemon thread of the worker's main process (not a task: a task would
wait behind the very backlog it should report on, and a pool busy with a long judge
would look dead). It writes one row per queue, whichever worker wrote last.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from chartbusters.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
_stop = threading.Event()


def heartbeat_record(queues: Iterable[str]) -> None:
    """Mark these queues consumed now."""
    now = timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(queue=queue, seen_at=now) for queue in queues],
        update_conflicts=True,
        unique_fields=["queue"],
        update_fields=["seen_at"],
    )


def _beat(queues: list[str]) -> None:
    while not _stop.is_set():
        try:
            close_old_connections()
            heartbeat_record(queues)
        except Exception:  # a database blip must not end the heartbeat for good
            logger.warning("Could not record the worker heartbeat", exc_info=True)
            connection.close()
        _stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
    connection.close()


@worker_ready.connect
def start_heartbeat(sender: Any = None, **_: Any) -> None:
    queues = sorted(sender.app.amqp.queues.consume_from) if sender is not None else []
    if not queues:
        return
    _stop.clear()
    threading.Thread(target=_beat, args=(queues,), name="heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**_: Any) -> None:
    _stop.set()
