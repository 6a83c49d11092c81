"""A task by its name, for the code a task module imports.

A ``tasks`` module imports the work its tasks run (pipelines, services), and that work
sometimes queues a task in turn: a stored job queues its run, a scored entry its email.
Importing the ``tasks`` module back from there would close an import circle, so the
work asks Celery's registry for the task by the name every ``@shared_task(name=...)``
fixes. It is the same task object, looked up when it is needed.
"""

from __future__ import annotations

from typing import Any

from celery.exceptions import NotRegistered

from chartbusters.celery import app as celery_app


def task(name: str) -> Any:
    """The registered task called ``name``. A process that has not imported the tasks
    modules yet (the web process) imports them all first, as a worker does at start;
    NotRegistered if still no task has that name."""
    try:
        return celery_app.tasks[name]
    except NotRegistered:
        celery_app.loader.import_default_modules()
        return celery_app.tasks[name]
