"""Run the whole service on one machine: Celery workers (one with beat) and the web server.

Judge builds get a worker of their own (queue "training", one at a time): a build holds
its process for minutes, and must never take the slot an entry or a generation job needs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

QUEUES = "celery,generation,evaluation,audio"
TRAINING_QUEUE = "training"


def worker_command(concurrency: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "chartbusters",
        "worker",
        "--beat",
        f"--schedule={settings.DATA_DIR / 'celerybeat-schedule'}",
        f"--queues={QUEUES}",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
    ]


def training_worker_command() -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "chartbusters", "worker",
        f"--queues={TRAINING_QUEUE}", "--concurrency=1", "--loglevel=INFO",
        "--hostname=training@%h",
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Start a Celery worker (all queues, with beat) and the web server together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        worker = subprocess.Popen(worker_command(options["concurrency"]), env=os.environ.copy())
        trainer = subprocess.Popen(training_worker_command(), env=os.environ.copy())
        # SIGTERM (e.g. from a process manager) must also stop the worker, not orphan it.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        self.stdout.write(
            f"Workers started (pid {worker.pid}; judge builds: pid {trainer.pid}); web at "
            f"http://{options['addrport']}/"
        )
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            for process in (worker, trainer):
                process.send_signal(signal.SIGTERM)
            for process in (worker, trainer):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
