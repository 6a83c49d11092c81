"""Poison-message safety: work that keeps killing its worker is ended, not redelivered.

Tasks run with late acknowledgement and ``reject_on_worker_lost``: when the worker
process dies mid-task (a segfault in native code, the hard time limit, the kernel's OOM
killer), the broker hands the same message out again. That is right for a worker killed
by accident, and a crash loop for a message that kills every worker that takes it (the
attack that found it saw 33 worker deaths a minute, forever).

So a guarded task records, durably and before any work, that it started; and removes
that record when it finishes in any way a live process can (a result or an exception).
A start still on record when the same work starts again means a worker died during it.
Once ``TASK_MAX_WORKER_DEATHS`` starts have died, the task no longer runs the work: the
caller ends the object with the guard's ``reason`` and the message is acknowledged.

Records are keyed by the work (task name + object id), not by the message, so the
reaper's re-queued copies and manual re-runs count as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from chartbusters.core.models import UnfinishedTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Guard:
    task: str
    key: str
    deaths: int  # earlier starts of this work that never finished

    @property
    def poisoned(self) -> bool:
        return self.deaths >= settings.TASK_MAX_WORKER_DEATHS

    @property
    def reason(self) -> str:
        return (
            f"It stopped the worker processing it {self.deaths} times, so it will not be "
            "tried again. This was our fault, not yours; the operators have been told."
        )


@contextmanager
def crash_guard(task: str, key: object) -> Iterator[Guard]:
    """Record a start of ``task`` on ``key`` for the duration of the block.

    The caller checks ``guard.poisoned`` first and, if so, ends the object with
    ``guard.reason`` instead of doing the work."""
    guard = Guard(task, str(key), _record_start(task, str(key)))
    if guard.poisoned:
        logger.error("%s[%s] killed its worker %s times: giving up", task, key, guard.deaths)
    try:
        yield guard
    finally:
        _record_finish(guard.task, guard.key)


def _record_start(task: str, key: str) -> int:
    """Count this start (committed before the work runs); the earlier unfinished ones."""
    with transaction.atomic():
        row, _ = UnfinishedTask.objects.select_for_update().get_or_create(task=task, key=key)
        earlier = row.starts
        UnfinishedTask.objects.filter(pk=row.pk).update(starts=F("starts") + 1)
    return earlier


def _record_finish(task: str, key: str) -> None:
    """This start finished; forget the work once no start of it is left unfinished.

    Never raises: a database that went away must not hide the task's own result or
    error (the record then stays, and at worst counts one death too many)."""
    try:
        with transaction.atomic():
            row = UnfinishedTask.objects.select_for_update().filter(task=task, key=key).first()
            if row is None:
                return
            if row.starts <= 1:
                row.delete()
            else:
                UnfinishedTask.objects.filter(pk=row.pk).update(starts=F("starts") - 1)
    except Exception:
        logger.exception("Could not record that %s[%s] finished", task, key)
