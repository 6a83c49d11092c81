"""/healthz and /healthz/workers: ok or not per check, queues' consumers and backlog age,
and nothing about the machines behind them (anyone may read these pages)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chartbusters.celery import app as celery_app
from chartbusters.core.heartbeat import heartbeat_record
from chartbusters.core.models import WorkerHeartbeat
from chartbusters.core.queues import backlog_proxy_since
from tests.chartbusters.builders import enter, make_challenge
from tests.chartbusters.faults import broker_url, database_unreachable, publish_probe
from tests.worker import celery_worker, wait_until

pytestmark = pytest.mark.django_db
HOUR = 3600.0


def internals() -> list[str]:
    """What a stranger must not learn: where and what the database and broker are."""
    database = connection.settings_dict
    found = [database["NAME"], str(database["HOST"] or "localhost"), connection.vendor]
    found += [str(celery_app.conf.broker_url), "redis", "filesystem", "amqp", "Transport"]
    return [text for text in found if text]


def assert_reveals_nothing(content: bytes) -> None:
    text = content.decode()
    for secret in internals():
        assert secret.lower() not in text.lower(), f"{secret!r} leaked: {text}"


def test_healthz_says_ok_per_check_and_nothing_else(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "broker": {"ok": True}},
    }
    assert_reveals_nothing(response.content)


def test_healthz_names_the_broker_that_is_down_but_not_where_it_is(client: Client) -> None:
    with broker_url("redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": {"ok": True}, "broker": {"ok": False}}
    assert "127.0.0.1" not in response.content.decode()
    assert_reveals_nothing(response.content)


@pytest.mark.django_db(transaction=True)
def test_healthz_names_the_database_that_is_down_but_not_where_it_is(client: Client) -> None:
    with database_unreachable():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": {"ok": False}, "broker": {"ok": True}}
    assert "127.0.0.1" not in response.content.decode()
    assert_reveals_nothing(response.content)


def test_healthz_workers_is_ok_with_empty_queues_and_no_workers(
    client: Client, redis_queues: None
) -> None:
    response = client.get("/healthz/workers")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert sorted(body["queues"]) == ["audio", "celery", "evaluation", "generation", "training"]
    for queue in body["queues"].values():
        assert queue == {"ok": True, "consumed": False, "oldest_message_age_seconds": None}


def test_healthz_workers_is_503_for_an_old_backlog_that_nobody_consumes(
    client: Client, redis_queues: None
) -> None:
    publish_probe("evaluation", age_seconds=HOUR)
    publish_probe("evaluation")  # younger messages behind it do not hide it
    publish_probe("celery")  # a fresh message: slow, not broken
    response = client.get("/healthz/workers")
    assert response.status_code == 503
    queues = response.json()["queues"]
    assert queues["evaluation"]["ok"] is False
    assert queues["evaluation"]["consumed"] is False
    assert queues["evaluation"]["oldest_message_age_seconds"] >= HOUR
    assert queues["celery"]["ok"] is True
    assert queues["celery"]["oldest_message_age_seconds"] < HOUR
    assert_reveals_nothing(response.content)


def test_healthz_workers_is_ok_for_an_old_backlog_that_a_worker_is_eating(
    client: Client, redis_queues: None
) -> None:
    publish_probe("evaluation", age_seconds=HOUR)
    heartbeat_record(["evaluation"])
    response = client.get("/healthz/workers")
    assert response.status_code == 200
    evaluation = response.json()["queues"]["evaluation"]
    assert evaluation["consumed"] is True
    assert evaluation["oldest_message_age_seconds"] >= HOUR


def test_a_heartbeat_older_than_three_beats_no_longer_counts(
    client: Client, redis_queues: None, settings: Any
) -> None:
    publish_probe("evaluation", age_seconds=HOUR)
    heartbeat_record(["evaluation"])
    stale = timezone.now() - timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS + 1)
    WorkerHeartbeat.objects.update(seen_at=stale)
    response = client.get("/healthz/workers")
    assert response.status_code == 503
    assert response.json()["queues"]["evaluation"]["consumed"] is False


def test_without_a_readable_broker_queue_the_oldest_waiting_entry_is_the_proxy(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    entry = enter(alice, make_challenge())
    assert backlog_proxy_since("evaluation") == entry.published_at
    assert backlog_proxy_since("audio") == entry.audio_queued_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_for_each_queue_it_consumes_without_naming_its_host(
    client: Client,
) -> None:
    def consumed() -> dict[str, bool]:
        queues = client.get("/healthz/workers").json()["queues"]
        return {name: queue["consumed"] for name, queue in queues.items()}

    nobody = {q: False for q in ("audio", "celery", "evaluation", "generation", "training")}
    assert consumed() == nobody
    with celery_worker(queues="celery,evaluation", WORKER_HEARTBEAT_SECONDS="1"):
        assert wait_until(lambda: consumed()["evaluation"], timeout=90)
        assert consumed() == nobody | {"celery": True, "evaluation": True}
        response = client.get("/healthz/workers")
    assert response.status_code == 200
    assert "test-" not in response.content.decode()  # the worker's hostname
