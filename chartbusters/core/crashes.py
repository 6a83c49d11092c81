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
from django.db import connection
from django.db.models import F
from django.utils import timezone

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


# UnfinishedTask's table and columns; PostgreSQL and SQLite both take this upsert.
_START = (
    'INSERT INTO "core_unfinishedtask" ("task", "key", "starts", "updated_at") '
    'VALUES (%s, %s, 1, %s) ON CONFLICT ("task", "key") DO UPDATE SET '
    '"starts" = "core_unfinishedtask"."starts" + 1, "updated_at" = excluded."updated_at" '
    'RETURNING "starts"'
)


def _record_start(task: str, key: str) -> int:
    """Count this start (committed before the work runs); the earlier unfinished ones.

    One statement, an upsert that returns the new count: every task runs this, and the
    ORM's get-or-create under a row lock took seven round trips (issue 22)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_START, [task, key, now])
        row = cursor.fetchone()
    return int(row[0]) - 1


_FINISH_LAST = 'DELETE FROM "core_unfinishedtask" WHERE "task" = %s AND "key" = %s AND "starts" = 1'
_FORGET = 'DELETE FROM "core_unfinishedtask" WHERE "task" = %s AND "key" = %s AND "starts" = 0'


def _record_finish(task: str, key: str) -> None:
    """This start finished; forget the work once no start of it is left unfinished.

    Usually the only start on record: one DELETE. Otherwise the count goes down, then a
    row at zero goes; each statement is atomic on its own, so a start or a finish of the
    same work in between leaves the right count (a start counts up from zero and its
    row stays; one after finds no row and makes one). Raw statements: the ORM's delete
    wraps each in its own transaction.

    Never raises: a database that went away must not hide the task's own result or
    error (the record then stays, and at worst counts one death too many)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(_FINISH_LAST, [task, key])
            if cursor.rowcount:
                return
            rows = UnfinishedTask.objects.filter(task=task, key=key, starts__gt=0)
            rows.update(starts=F("starts") - 1)
            cursor.execute(_FORGET, [task, key])
    except Exception:
        logger.exception("Could not record that %s[%s] finished", task, key)
