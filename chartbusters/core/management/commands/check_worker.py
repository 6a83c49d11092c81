"""Prove that a worker consumes the queue: enqueue a probe and wait for it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartbusters.core.models import WorkerProbe
from chartbusters.core.services import worker_probe_create


class Command(BaseCommand):
    help = "Send a probe task through the broker and wait until a worker completes it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        probe = worker_probe_create()
        deadline = time.monotonic() + options["timeout"]
        while time.monotonic() < deadline:
            probe = WorkerProbe.objects.get(pk=probe.pk)
            if probe.completed_at is not None:
                seconds = (probe.completed_at - probe.created_at).total_seconds()
                self.stdout.write(f"Worker {probe.worker} answered in {seconds:.2f} s.")
                return
            time.sleep(0.2)
        raise CommandError(f"No worker completed probe {probe.pk} in {options['timeout']} s.")
