"""A worker keeps its database connection from task to task, as a web process keeps it
from request to request.

Celery's Django fixup closes every database connection before and after each task
unless ``CELERY_DB_REUSE_MAX`` is set. Every task then opened a new connection, and
PostgreSQL started a new backend for it (a process whose catalog caches warm again):
10 ms of CPU per scored entry, a quarter of what scoring an entry cost the machine, and
all of it outside the worker (issue 22). The settings set ``CELERY_DB_REUSE_MAX``;
here each task starts and ends the way Django's requests do, with
``close_old_connections``: a connection older than ``CONN_MAX_AGE`` or one that saw an
error is closed, and with ``CONN_HEALTH_CHECKS`` a reused one is checked before its
first query.
"""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections, connection


@task_prerun.connect
@task_postrun.connect
def close_obsolete_connections(sender: Any = None, **_: Any) -> None:
    """Close the connections Django would close at a request's start or end. Not for a
    task run in process (eagerly, or inside a transaction: ``load_demo``, tests): it
    works on its caller's connection, which closing would break."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    if not connection.in_atomic_block:
        close_old_connections()
