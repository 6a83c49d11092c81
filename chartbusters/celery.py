"""The Celery application, set up as Celery's Django guide shows.

Tasks use ``DjangoTask`` so that ``task.delay_on_commit(...)`` enqueues only once the
surrounding transaction has committed: a worker never sees an id whose row is not
there yet.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartbusters.settings")

app = Celery("chartbusters", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
