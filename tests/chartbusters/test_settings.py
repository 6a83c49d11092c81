"""The settings module itself, loaded in a fresh interpreter with a given environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, "
    "settings.SESSION_COOKIE_SECURE, settings.SECRET_KEY[:6])"
)


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "chartbusters.settings", "DATA_DIR": str(tmp_path)})
    clean.pop("SECRET_KEY", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedded_defaults_are_sqlite_and_the_filesystem_broker(tmp_path: Path) -> None:
    result = load_settings(tmp_path, DEBUG="True")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "filesystem://",
        "False",
        "insecu",
    ]


def test_it_refuses_to_start_with_debug_off_and_no_secret_key(tmp_path: Path) -> None:
    result = load_settings(tmp_path, DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is False" in result.stderr


def test_debug_false_means_false_and_secure_cookies(tmp_path: Path) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text("from-a-file-0123456789")
    result = load_settings(tmp_path, DEBUG="False", SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert result.stdout.split()[3:] == ["True", "from-a"]


def test_it_refuses_garbage_in_a_boolean(tmp_path: Path) -> None:
    result = load_settings(tmp_path, DEBUG="yes")
    assert result.returncode != 0
    assert "DEBUG must be True or False, not 'yes'" in result.stderr


def test_database_and_broker_urls_switch_the_backends(tmp_path: Path) -> None:
    result = load_settings(
        tmp_path,
        DEBUG="True",
        DATABASE_URL="postgres://root@127.0.0.1:5432/test",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:3] == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/5",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x/y", "must start with sqlite:// or postgres://"),
        ("CELERY_TASK_TIME_LIMIT", "ten", "CELERY_TASK_TIME_LIMIT must be a whole number"),
        ("CELERY_TASK_SOFT_TIME_LIMIT", "500", "must be below CELERY_TASK_TIME_LIMIT"),
    ],
)
def test_it_names_the_variable_that_is_wrong(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = load_settings(tmp_path, DEBUG="True", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_celery_is_configured_for_safe_redelivery() -> None:
    from chartbusters.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_routes["chartbusters.studio.tasks.*"] == {"queue": "generation"}
    assert app.conf.task_routes["chartbusters.submissions.tasks.*"] == {"queue": "evaluation"}
