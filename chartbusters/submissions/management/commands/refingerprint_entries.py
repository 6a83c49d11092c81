"""Upgrade every entry's stored fingerprint to the evaluation library's current format."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chartbusters.evaluator import scoring
from chartbusters.submissions.evaluation import upgrade_fingerprint
from chartbusters.submissions.models import Submission


class Command(BaseCommand):
    help = (
        "Recompute, from their MIDI, the fingerprints of entries stored in an older format "
        "(or none), which would otherwise match nothing in the copy check. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        current = upgraded = failed = 0
        rows = Submission.objects.only("pk", "fingerprint", "midi").order_by("pk")
        for submission in rows.iterator(chunk_size=500):
            data = submission.fingerprint
            if scoring.fingerprint_is_current(bytes(data) if data is not None else None):
                current += 1
            elif upgrade_fingerprint(submission) is not None:
                upgraded += 1
            else:
                failed += 1
                self.stderr.write(f"Entry {submission.pk}: its MIDI is missing or invalid.")
        self.stdout.write(
            f"{upgraded} upgraded, {current} already current, {failed} could not be upgraded."
        )
