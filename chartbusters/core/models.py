from __future__ import annotations

from django.db import models


class WorkerProbe(models.Model):
    """A round trip through the broker: created by the web, completed by a worker.

    ``manage.py check_worker`` uses it to prove a worker is consuming; the tests use it
    for the end-to-end Celery check.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        state = f"done by {self.worker}" if self.completed_at else "waiting"
        return f"probe {self.pk} ({state})"


class WorkerHeartbeat(models.Model):
    """One row per queue: when a worker consuming it last said it was alive.

    Every worker writes it for each queue it consumes, every ``WORKER_HEARTBEAT_SECONDS``
    (see ``heartbeat``); ``/healthz/workers`` calls a queue consumed while it is recent.
    No host names are kept: the health page must not reveal them.
    """

    queue = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.queue} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
