"""Health checks for /healthz: can we reach the database and the broker right now?"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.utils import Error as DatabaseError

from chartbusters.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_database(alias: str = "default") -> CheckResult:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return CheckResult(False, f"{type(exc).__name__}: {exc}".strip())
    return CheckResult(True, connections[alias].vendor)


def check_broker() -> CheckResult:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            transport = connection.transport_cls
    except Exception as exc:  # kombu raises many unrelated types for "down"
        return CheckResult(False, f"{type(exc).__name__}: {exc}".strip())
    return CheckResult(True, str(transport))
