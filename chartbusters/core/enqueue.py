"""A task by its name, for the code a task module imports.

A ``tasks`` module imports the work its tasks run (pipelines, services), and that work
sometimes queues a task in turn: a stored job queues its run, a scored entry its email.
Importing the ``tasks`` module back from there would close an import circle, so the
work asks Celery's registry for the task by the name every ``@shared_task(name=...)``
fixes. It is the same task object, looked up when it is needed.

:func:`publish_on_commit` is how stored work is handed to the broker: after the
transaction commits, and never at the price of the request. A broker that is down must
not turn a stored entry, job or render into an error page (the participant would try
again and pay twice); the failed publish is logged and the caller's ``on_failure`` marks
the row (clears its "queued at", or fails a job as retryable), so a reaper's next pass or
the user publishes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery.exceptions import NotRegistered
from django.db import transaction

from chartbusters.celery import app as celery_app

logger = logging.getLogger(__name__)


def task(name: str) -> Any:
    """The registered task called ``name``. A process that has not imported the tasks
    modules yet (the web process) imports them all first, as a worker does at start;
    NotRegistered if still no task has that name."""
    try:
        return celery_app.tasks[name]
    except NotRegistered:
        celery_app.loader.import_default_modules()
        return celery_app.tasks[name]


def publish_on_commit(
    name: str,
    args: tuple[Any, ...],
    *,
    what: str,
    on_failure: Callable[[], object],
    queue: str | None = None,
) -> None:
    """Publish the task ``name`` with ``args`` (to ``queue``, else where the router sends
    it) once the transaction commits; if the broker refuses, log "Could not queue
    ``what``" and run ``on_failure``. Outside a transaction it publishes at once."""

    def publish() -> None:
        try:
            found = task(name)
            if queue:
                found.apply_async(args, queue=queue)
            else:
                found.delay(*args)
        except Exception:
            logger.exception("Could not queue %s", what)
            on_failure()

    # what robust on_commit logs if it raises, and what tests of the callbacks read
    publish.__name__ = publish.__qualname__ = f"publish {name}"
    transaction.on_commit(publish, robust=True)
