"""docker-compose.yml and the Dockerfile refer to things that exist (Docker cannot run here)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "training-worker", "beat"]


def settings_variables() -> set[str]:
    """Every environment variable the settings module reads."""
    source = (REPO / "chartbusters" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|secret)\(\s*"([A-Z_]+)"', source))
    return names | {f"{name}_FILE" for name in names} | {"DJANGO_SETTINGS_MODULE"}


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else command.split()


def test_the_stack_has_every_service_with_a_healthcheck() -> None:
    default = {name for name, service in SERVICES.items() if not service.get("profiles")}
    assert default == {
        "postgres", "redis", "migrate", "proxy", "web", "worker", "training-worker", "beat"
    }  # fmt: skip
    for name in ["postgres", "redis", "proxy", "web", "worker", "training-worker", "beat"]:
        assert SERVICES[name]["healthcheck"]["test"], name


def test_app_services_use_the_image_built_here_and_real_settings() -> None:
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["build"] == "."
        env = service["environment"]
        module = env["DJANGO_SETTINGS_MODULE"]
        assert importlib.util.find_spec(module) is not None, module
        unknown = set(env) - settings_variables()
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"
        assert env["DEBUG"] == "False"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_web_runs_gunicorn_on_the_wsgi_application() -> None:
    command = command_of("web")
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert hasattr(importlib.import_module(module), attribute)


def queues_of(service: str) -> set[str]:
    command = command_of(service)
    assert command[:4] == ["celery", "-A", "chartbusters", "worker"]
    queues_arg = next(arg for arg in command if arg.startswith("--queues="))
    return set(queues_arg.split("=", 1)[1].split(","))


def test_the_workers_consume_every_queue_the_routes_use() -> None:
    from chartbusters.celery import app

    queues = queues_of("worker") | queues_of("training-worker")
    routed = {route["queue"] for route in app.conf.task_routes.values()}
    assert routed | {app.conf.task_default_queue} <= queues


def test_judge_builds_have_a_worker_of_their_own() -> None:
    assert queues_of("training-worker") == {"training"}
    assert "training" not in queues_of("worker")


def test_beat_runs_the_celery_app_and_migrations_use_a_real_command() -> None:
    assert command_of("beat")[:4] == ["celery", "-A", "chartbusters", "beat"]
    migrate = command_of("migrate")
    assert migrate[:2] == ["python", "manage.py"]
    assert migrate[2] in get_commands()


def test_web_worker_and_beat_start_after_migrations() -> None:
    for name in ["web", "worker", "training-worker", "beat"]:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"


def test_named_volumes_are_declared_and_mounted_files_exist() -> None:
    sources = {
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
    }
    files = {source for source in sources if source.startswith("./")}
    assert sources - files <= set(COMPOSE["volumes"])
    for source in files:
        assert (REPO / source).is_file(), source


def test_the_dockerfile_copies_paths_that_exist_and_installs_fluidsynth() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        assert (REPO / source).exists(), source
    assert "fluidsynth" in dockerfile
    assert "torch==2.13.0" in dockerfile
    assert "whl/cpu" in dockerfile


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DEBUG="False",
        SECRET_KEY="a-production-secret-key-that-is-long-and-random-0123456789-abcdef",
        ALLOWED_HOSTS="charts.example.org",
        DATA_DIR=str(tmp_path),
    )
    return env


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
