from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from chartbusters.core.models import WorkerProbe


@shared_task(bind=True, name="chartbusters.core.tasks.complete_probe")
def complete_probe(self, probe_id: int) -> None:  # type: ignore[no-untyped-def]
    """Mark a probe done; repeating it changes nothing (acks_late may redeliver)."""
    WorkerProbe.objects.filter(pk=probe_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker=self.request.hostname or ""
    )
