"""One end-to-end round trip through a real worker process on the configured broker."""

from __future__ import annotations

import pytest
from django.db import transaction

from chartbusters.core.models import WorkerProbe
from chartbusters.core.services import worker_probe_create
from chartbusters.core.tasks import complete_probe
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def completed(probe: WorkerProbe) -> bool:
    probe.refresh_from_db()
    return probe.completed_at is not None


def test_a_task_enqueued_on_commit_is_run_by_a_real_worker() -> None:
    with celery_worker():
        probe = worker_probe_create()
        assert wait_until(lambda: completed(probe), timeout=90), "the worker never ran the task"
    assert probe.worker.startswith("test-")


def enqueue_then_roll_back() -> None:
    with transaction.atomic():
        probe = WorkerProbe.objects.create()
        complete_probe.delay_on_commit(probe.pk)
        raise RuntimeError("roll back")


def test_nothing_is_enqueued_when_the_transaction_rolls_back() -> None:
    with celery_worker():
        with pytest.raises(RuntimeError, match="roll back"):
            enqueue_then_roll_back()
        # A probe committed afterwards is completed; the rolled-back one never existed.
        later = worker_probe_create()
        assert wait_until(lambda: completed(later), timeout=90)
    assert WorkerProbe.objects.count() == 1


def test_running_the_task_twice_changes_nothing() -> None:
    probe = WorkerProbe.objects.create()
    complete_probe.run(probe.pk)
    probe.refresh_from_db()
    first = (probe.completed_at, probe.worker)
    complete_probe.run(probe.pk)
    probe.refresh_from_db()
    assert (probe.completed_at, probe.worker) == first
