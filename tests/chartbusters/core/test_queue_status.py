"""``manage.py queue_status``: each queue's waiting messages, the oldest one's age and its
consumers, read from the real broker, database and (for consumers) a real worker."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chartbusters.core.heartbeat import heartbeat_record
from tests.chartbusters.faults import broker_url, publish_probe
from tests.worker import celery_worker, wait_until

pytestmark = pytest.mark.django_db
HOUR = 3600.0


def status(*options: str, timeout: float = 0.5) -> tuple[str, dict[str, dict[str, Any]]]:
    """The table, and the JSON rows by queue."""
    table, raw = StringIO(), StringIO()
    call_command("queue_status", "--timeout", str(timeout), *options, stdout=table)
    call_command("queue_status", "--timeout", str(timeout), "--json", stdout=raw)
    return table.getvalue(), {row["queue"]: row for row in json.loads(raw.getvalue())}


def test_waiting_messages_are_counted_and_the_oldest_aged(redis_queues: None) -> None:
    publish_probe("evaluation", age_seconds=HOUR)
    publish_probe("evaluation")
    table, rows = status()
    assert set(rows) == {"audio", "celery", "evaluation", "generation", "training"}
    assert rows["evaluation"]["depth"] == 2
    assert HOUR <= rows["evaluation"]["oldest_age_seconds"] < HOUR + 60
    assert rows["evaluation"]["workers"] == []  # nobody answered the remote control
    assert rows["evaluation"]["consumed"] is False
    assert rows["generation"]["depth"] == 0
    assert rows["generation"]["oldest_age_seconds"] is None
    line = next(x for x in table.splitlines() if x.startswith("evaluation"))
    assert line.split()[:3] == ["evaluation", "2", "1"]  # 2 waiting, 1 h ...
    assert "h 0 min" in line
    assert line.rstrip().endswith("none")


def test_strict_fails_only_when_waiting_work_has_no_consumer(redis_queues: None) -> None:
    call_command("queue_status", "--timeout", "0.5", "--strict", stdout=StringIO())  # empty
    publish_probe("generation")
    with pytest.raises(CommandError, match="no worker consuming it: generation"):
        call_command("queue_status", "--timeout", "0.5", "--strict", stdout=StringIO())


def test_a_broker_that_does_not_answer_is_an_error_not_zeros() -> None:
    out = StringIO()
    with broker_url("redis://127.0.0.1:1/0"), pytest.raises(CommandError, match="does not answer"):
        call_command("queue_status", "--timeout", "0.2", stdout=out)
    assert "?" in out.getvalue()


def test_a_bad_timeout_is_refused() -> None:
    with pytest.raises(CommandError, match="positive"):
        call_command("queue_status", "--timeout", "0", stdout=StringIO())


def test_heartbeats_are_shown_with_their_age() -> None:
    heartbeat_record(["evaluation"])
    _, rows = status()
    assert rows["evaluation"]["heartbeat_age_seconds"] is not None
    assert rows["evaluation"]["heartbeat_age_seconds"] < 60
    assert rows["celery"]["heartbeat_age_seconds"] is None


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_is_named_as_its_queues_consumer(redis_queues: None) -> None:
    seen: dict[str, dict[str, Any]] = {}

    def answered() -> bool:  # a busy machine's worker may miss one call's timeout
        seen.update(status(timeout=2.0)[1])
        return bool(seen["evaluation"]["workers"])

    with celery_worker(queues="evaluation"):
        assert wait_until(answered, timeout=90, interval=0.5)
        assert seen["evaluation"]["consumed"] is True
        assert seen["generation"]["workers"] == []
        publish_probe("evaluation")  # consumed by the worker: strict passes once it is
        assert wait_until(lambda: status()[1]["evaluation"]["depth"] == 0, timeout=60)
        assert wait_until(answered, timeout=60, interval=0.5)
        call_command("queue_status", "--timeout", "2", "--strict", stdout=StringIO())
