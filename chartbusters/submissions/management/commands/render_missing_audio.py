"""Queue the listening copy of every entry whose audio was never rendered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from chartbusters.submissions.audio import publish_audio
from chartbusters.submissions.models import AudioState, Submission


class Command(BaseCommand):
    help = (
        "Queue an audio rendering for every entry whose audio is still pending: entries "
        "stored before entries had audio. (A rendering message lost since is queued again "
        "by the reaper on its own.) The rendering is idempotent, so running this twice is "
        "safe; --failed also retries renderings that failed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--failed", action="store_true", help="also retry renderings that failed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        states = [AudioState.PENDING, *([AudioState.FAILED] if options["failed"] else [])]
        if options["failed"]:  # a failed rendering is pending again until it is retried
            Submission.objects.filter(audio_state=AudioState.FAILED).update(
                audio_state=AudioState.PENDING
            )
        ids = list(
            Submission.objects.filter(audio_state__in=states)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # A fresh lease and attempt count, so the reaper neither doubles these messages
        # nor gives up on them for attempts made before.
        Submission.objects.filter(pk__in=ids).update(
            audio_queued_at=timezone.now(), audio_attempts=1
        )
        for submission_id in ids:
            publish_audio(submission_id)  # outside a transaction: published at once
        self.stdout.write(f"Queued the audio of {len(ids)} entries.")
