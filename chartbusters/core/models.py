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
