"""A generation job run by a real Celery worker process on the configured broker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.chartbusters.studio.helpers import SAMPLE
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def audio_settled(api: APIClient, composition: str) -> Callable[[], bool]:
    """Whether the composition's audio is no longer pending (rendered or failed)."""
    url = f"/api/studio/compositions/{composition}/"
    return lambda: api.get(url).json()["audio_state"] != "pending"


def test_a_job_posted_to_the_api_is_generated_by_a_real_worker(as_alice: APIClient) -> None:
    source = as_alice.post("/api/studio/compositions/", {"sample": SAMPLE}, format="json")
    assert source.status_code == 201
    # Preloading on: the pool process must come up (and stay up) while it loads torch.
    with celery_worker(queues="generation", OMP_NUM_THREADS="1", STUDIO_PRELOAD_MODELS="True"):
        job = as_alice.post(
            "/api/studio/jobs/", {"input": source.json()["id"], "technique": "gan"}, format="json"
        )
        assert job.status_code == 202, job.json()
        url = f"/api/studio/jobs/{job.json()['id']}/"
        polled: dict[str, Any] = {}

        def finished() -> bool:
            polled.update(as_alice.get(url).json())
            return polled["state"] in ("done", "failed")

        assert wait_until(finished, timeout=120), polled
        assert polled["state"] == "done", polled["message"]
        # The job is done once the MIDI is stored; the audio follows in its own task.
        assert polled["result"]["audio_state"] in ("pending", "ready")
        for composition in (source.json()["id"], polled["result"]["id"]):
            assert wait_until(audio_settled(as_alice, composition), timeout=60), composition
    result = as_alice.get(f"/api/studio/compositions/{polled['result']['id']}/").json()
    assert result["kind"] == "generated"
    assert result["parent"] == source.json()["id"]
    assert result["audio_state"] == "ready"
    assert as_alice.get(result["midi_url"]).content.startswith(b"MThd")
    audio = as_alice.get(result["audio_url"])
    assert audio["Content-Type"] == "audio/ogg"
    assert b"".join(audio.streaming_content).startswith(b"OggS")  # type: ignore[attr-defined]
    source_audio = as_alice.get(f"/api/studio/compositions/{source.json()['id']}/audio")
    assert source_audio.status_code == 200  # the input's audio, rendered by its own task
