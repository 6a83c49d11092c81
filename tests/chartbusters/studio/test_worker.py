"""A generation job run by a real Celery worker process on the configured broker."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.chartbusters.studio.conftest import SAMPLE
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_job_posted_to_the_api_is_generated_by_a_real_worker(as_alice: APIClient) -> None:
    source = as_alice.post("/api/studio/compositions/", {"sample": SAMPLE}, format="json")
    assert source.status_code == 201
    with celery_worker(queues="generation", OMP_NUM_THREADS="1"):
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
        assert wait_until(
            lambda: (
                as_alice.get(f"/api/studio/compositions/{source.json()['id']}/").json()[
                    "audio_state"
                ]
                != "pending"
            ),
            timeout=60,
        )
    result = polled["result"]
    assert result["kind"] == "generated"
    assert result["parent"] == source.json()["id"]
    assert result["audio_state"] == "ready"
    assert as_alice.get(result["midi_url"]).content.startswith(b"MThd")
    audio = as_alice.get(result["audio_url"])
    assert audio["Content-Type"] == "audio/ogg"
    assert b"".join(audio.streaming_content).startswith(b"OggS")  # type: ignore[attr-defined]
    source_audio = as_alice.get(f"/api/studio/compositions/{source.json()['id']}/audio")
    assert source_audio.status_code == 200  # the input's audio, rendered by its own task
