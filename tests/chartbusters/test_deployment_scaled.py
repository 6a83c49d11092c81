"""docker-compose.yml's "scaled" profile: one worker per kind of work, each healthchecked
by a ping to its own node, and Flower watching their events (Docker cannot run here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chartbusters.celery import app

REPO = Path(__file__).resolve().parents[2]
SERVICES: dict[str, dict[str, Any]] = yaml.safe_load((REPO / "docker-compose.yml").read_text())[
    "services"
]
SCALED = {name: s for name, s in SERVICES.items() if "scaled" in s.get("profiles", [])}
WORKERS = {name: s for name, s in SCALED.items() if name.startswith("worker-")}
# Each kind of work, the queue it reads: scoring never shares a worker with audio or models.
KINDS = {"worker-scoring": "evaluation", "worker-audio": "audio",
         "worker-generation": "generation", "worker-default": "celery"}  # fmt: skip


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else command.split()


def option(command: list[str], name: str) -> str:
    return next(arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}="))


def routed_queues() -> set[str]:
    return {route["queue"] for route in app.conf.task_routes.values()} | {
        app.conf.task_default_queue
    }


def test_the_profile_has_a_worker_per_kind_of_work_and_flower() -> None:
    assert set(SCALED) == {*KINDS, "flower"}
    for name in SCALED:
        assert SCALED[name]["profiles"] == ["scaled"], name


def test_each_worker_reads_its_own_queue_and_together_they_read_every_routed_one() -> None:
    read: list[str] = []
    for name, queue in KINDS.items():
        command = command_of(name)
        assert command[:4] == ["celery", "-A", "chartbusters", "worker"], name
        assert option(command, "queues") == queue, name
        assert int(option(command, "concurrency")) >= 1, name
        read.append(queue)
    # Judge builds have their own worker in every profile (issue 21), the scaled one too.
    training = SERVICES["training-worker"]
    assert "profiles" not in training
    read.append(option(command_of("training-worker"), "queues"))
    assert sorted(read) == sorted(routed_queues())
    assert routed_queues() >= {"evaluation", "audio", "generation"}


def test_workers_send_events_and_each_healthcheck_pings_its_own_node() -> None:
    for name, service in WORKERS.items():
        command = command_of(name)
        assert "-E" in command, f"{name} sends no task events: Flower would not see its work"
        node = option(command, "hostname")
        prefix = node.split("@")[0]
        check: list[Any] = service["healthcheck"]["test"]
        assert check[0] == "CMD-SHELL", name
        assert "celery -A chartbusters inspect ping" in check[1], name
        # Compose turns $$ into $: the shell fills in the container's host name, as %h does.
        assert f"--destination={prefix}@$$HOSTNAME" in check[1], name
        assert node == f"{prefix}@%h", name


def test_workers_run_the_app_image_after_migrations_on_the_shared_broker() -> None:
    for name, service in WORKERS.items():
        assert service["build"] == ".", name
        assert service["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_flower_reads_the_same_broker_on_loopback_only_and_is_healthchecked() -> None:
    flower = SCALED["flower"]
    assert flower["image"].startswith("mher/flower:")
    assert (
        flower["environment"]["CELERY_BROKER_URL"]
        == SERVICES["worker"]["environment"]["CELERY_BROKER_URL"]
    )
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])
    assert "/healthcheck" in " ".join(flower["healthcheck"]["test"])
