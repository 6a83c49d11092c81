"""Print each queue's depth, the age of its oldest waiting message and its consumers."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartbusters.core.queue_status import QueueStatus, queue_statuses


class Command(BaseCommand):
    help = (
        "For every queue: messages waiting, the age of the oldest, and the workers "
        "consuming it (celery inspect active_queues, or their heartbeats). Exits 1 when "
        "the broker does not answer, and with --strict also when a queue with work "
        "waiting has no consumer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object per queue")
        parser.add_argument(
            "--timeout", type=float, default=1.0, help="seconds to wait for workers to answer"
        )
        parser.add_argument(
            "--strict", action="store_true", help="fail when waiting work has no consumer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        statuses = queue_statuses(timeout=options["timeout"])
        if options["json"]:
            self.stdout.write(json.dumps([s.as_json() for s in statuses], indent=1))
        else:
            self.stdout.write(table(statuses))
        if any(s.depth is None for s in statuses):
            raise CommandError("The broker does not answer: queue depths are unknown.")
        stranded = [s.queue for s in statuses if (s.depth or 0) > 0 and not s.consumed]
        if options["strict"] and stranded:
            raise CommandError(f"Work waits with no worker consuming it: {', '.join(stranded)}.")


def table(statuses: list[QueueStatus]) -> str:
    rows = [("queue", "waiting", "oldest", "workers")]
    for s in statuses:
        if s.workers is not None:
            workers = ", ".join(s.workers) or "none"
        elif s.heartbeat_age_seconds is not None:
            workers = f"unknown (last heartbeat {duration(s.heartbeat_age_seconds)} ago)"
        else:
            workers = "unknown (no heartbeat yet)"
        rows.append(
            (
                s.queue,
                "?" if s.depth is None else str(s.depth),
                "-" if s.oldest_age_seconds is None else duration(s.oldest_age_seconds),
                workers,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    )


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"
