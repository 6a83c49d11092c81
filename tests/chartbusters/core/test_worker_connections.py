"""A worker's tasks reuse its database connection, as a web process's requests do: the
connection is replaced only when it is past its age or saw an error. Each test runs what
a worker runs around a task: Celery's own Django fixup, then our signal handlers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import DatabaseError, connection

from chartbusters.accounts.models import User
from chartbusters.celery import app as celery_app
from chartbusters.submissions.tasks import score_submission

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a worker


def around_a_task(task: Any = score_submission) -> None:
    """A task's start and end as a worker process signals them."""
    fixup = DjangoWorkerFixup(celery_app)
    fixup.on_task_prerun(sender=task)
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None)


def open_connection(max_age: float) -> Any:
    connection.ensure_connection()
    connection.close_at = time.monotonic() + max_age
    return connection.connection


def test_a_worker_keeps_its_database_connection_from_task_to_task() -> None:
    before = open_connection(max_age=60)
    for _ in range(3):
        around_a_task()
    assert connection.connection is before


def test_a_connection_past_its_age_is_replaced_at_the_next_task() -> None:
    open_connection(max_age=-1)
    around_a_task()
    assert connection.connection is None  # the next query opens a new one


def test_a_connection_the_database_dropped_is_replaced() -> None:
    open_connection(max_age=60).close()  # as a database restart would drop it
    with pytest.raises(DatabaseError):
        connection.cursor().execute("SELECT 1")
    around_a_task()
    assert connection.connection is None
    assert User.objects.count() == 0  # the next task's queries run on a new connection
