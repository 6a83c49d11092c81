from __future__ import annotations

from django.db import transaction

from chartbusters.core.models import WorkerProbe
from chartbusters.core.tasks import complete_probe


def worker_probe_create() -> WorkerProbe:
    """Store a probe and enqueue its completion once the row is committed."""
    with transaction.atomic():
        probe = WorkerProbe.objects.create()
        complete_probe.delay_on_commit(probe.pk)
    return probe
