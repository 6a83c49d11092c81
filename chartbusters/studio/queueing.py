"""How the studio puts work on the queues: a job's run, a composition's audio render.

Services and the pipeline queue tasks; the tasks module runs services and the pipeline.
The queuing lives here, below both, and finds the tasks by name
(:mod:`chartbusters.core.enqueue`), so no module imports the one that imports it.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from chartbusters.core.enqueue import publish_on_commit
from chartbusters.studio.models import AudioState, Composition, GenerationJob
from chartbusters.studio.states import JobState

logger = logging.getLogger(__name__)

RUN_GENERATION_JOB = "chartbusters.studio.tasks.run_generation_job"
RENDER_COMPOSITION_AUDIO = "chartbusters.studio.tasks.render_composition_audio"
RENDER_SAMPLE_AUDIO = "chartbusters.studio.tasks.render_sample_audio"
QUEUE_DOWN = "The generators could not be reached just now; retry in a moment."


def enqueue_job(job_id: int) -> None:
    """Queue the job once the transaction commits. A broker that is down must not turn
    a stored job into an error page: the job fails at once, ready to retry."""

    def failed() -> None:
        GenerationJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.FAILED,
            message=QUEUE_DOWN,
            retryable=True,
            finished_at=timezone.now(),
            lease_expires_at=None,
            updated_at=timezone.now(),
        )

    publish_on_commit(
        RUN_GENERATION_JOB, (job_id,), what=f"generation job {job_id}", on_failure=failed
    )


def publish_composition_audio(composition_id: int) -> None:
    """Queue a composition's render on commit; a failed publish clears
    ``audio_queued_at``, so the reaper's next pass queues it again."""

    publish_on_commit(
        RENDER_COMPOSITION_AUDIO,
        (composition_id,),
        what=f"the audio of composition {composition_id}",
        on_failure=lambda: Composition.objects.filter(
            pk=composition_id, audio_state=AudioState.PENDING
        ).update(audio_queued_at=None),
    )
