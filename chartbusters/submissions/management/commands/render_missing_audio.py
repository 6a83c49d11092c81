"""Queue the listening copy of every entry whose audio was never rendered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chartbusters.submissions.models import AudioState, Submission


class Command(BaseCommand):
    help = (
        "Queue an audio rendering for every entry whose audio is still pending: entries "
        "stored before entries had audio, or whose rendering message was lost (a broker "
        "down at submission). The rendering is idempotent, so running this twice is safe; "
        "--failed also retries renderings that failed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--failed", action="store_true", help="also retry renderings that failed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from chartbusters.submissions.tasks import render_submission_audio

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
        for submission_id in ids:
            # On "celery", like a new entry's rendering (see services._enqueue_audio).
            render_submission_audio.apply_async((submission_id,), queue="celery")
        self.stdout.write(f"Queued the audio of {len(ids)} entries.")
