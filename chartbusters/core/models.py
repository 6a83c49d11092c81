from __future__ import annotations

from django.db import models


class AudioState(models.TextChoices):
    """Where a listening copy stands, for entries and studio compositions alike (their
    renders share one lease rule: ``core.renders``)."""

    PENDING = "pending", "Being rendered"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be rendered"


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


class UnfinishedTask(models.Model):
    """Starts of one piece of work (a task name and the id it works on) that have not
    finished yet: a row left behind by a start means the worker died during it.

    See ``chartbusters.core.crashes``. Rows are removed as soon as every start has
    finished, so the table holds only work in progress and work that crashed."""

    task = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    starts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "key"], name="core_unfinishedtask_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task}[{self.key}]: {self.starts} unfinished"


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
