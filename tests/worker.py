"""A real Celery worker process for integration tests (eager mode hides bugs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

REPO = Path(__file__).resolve().parents[1]


def database_url_for_test_db() -> str:
    """The URL of the database the test is using right now (the test database)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


@contextmanager
def celery_worker(
    queues: str = "celery,generation,evaluation,audio",
    concurrency: int = 1,
    *,
    app: str = "chartbusters",
    args: Sequence[str] = (),
    **env: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``celery worker`` on the test database; stop it (TERM, then KILL) afterwards.

    ``app`` names another Celery app module (fault tests hook the real one); ``args`` are
    extra command-line options, such as ``--beat`` to run the periodic reaper too."""
    # Preloading every generator costs seconds per start; tests that need it ask for it.
    worker_env = {**os.environ, "STUDIO_PRELOAD_MODELS": "False"}
    worker_env.update(DATABASE_URL=database_url_for_test_db(), **env)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            f"--queues={queues}",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{os.getpid()}@%h",
            *args,
        ],
        cwd=REPO,
        env=worker_env,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def with_reaper(tmp_path: Path) -> dict[str, Any]:
    """Worker options that run beat inside the worker, with the reaper every second."""
    return {
        "args": ["--beat", f"--schedule={tmp_path / 'beat-schedule'}"],
        "SUBMISSION_REAPER_INTERVAL_SECONDS": "1",
    }
