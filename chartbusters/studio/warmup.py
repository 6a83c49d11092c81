"""Warm a generation worker: import torch and load the shipped checkpoints once, when a
Celery pool process that consumes the ``generation`` queue starts, so the first job a
participant sends does not wait for them (importing torch alone takes seconds).

Only Celery's pool processes send ``worker_process_init``: the web process never loads
a model. ``STUDIO_PRELOAD_MODELS=False`` skips it (tests, small machines). A checkpoint
that cannot be loaded is logged and left for the job to report: warming is an
optimisation and must never keep a worker from starting.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Celery, current_app
from celery.signals import worker_process_init
from django.conf import settings

from chartbusters.studio.generators import preload_models

logger = logging.getLogger(__name__)
GENERATION_QUEUE = "generation"


def consumes_generation(app: Celery) -> bool:
    """Whether this worker reads the generation queue (its ``-Q`` selection)."""
    return GENERATION_QUEUE in app.amqp.queues.consume_from


def warm_worker(app: Celery) -> list[str]:
    """Preload when the setting allows it and ``app``'s worker reads the generation queue;
    the checkpoints loaded."""
    if not settings.STUDIO_PRELOAD_MODELS or not consumes_generation(app):
        return []
    started = time.perf_counter()
    loaded = preload_models()
    logger.info(
        "Preloaded the generation models %s in %.1f s", loaded, time.perf_counter() - started
    )
    return loaded


@worker_process_init.connect
def preload_in_generation_workers(**kwargs: Any) -> None:
    """Sent in each new pool process of a Celery worker (never in the web process)."""
    warm_worker(current_app)
