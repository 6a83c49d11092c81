"""An honest generator claim sent by API, verified by a real worker on the generation
queue (the web process never runs a model)."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio import scores
from chartbusters.submissions.models import Submission
from generation.registry import TECHNIQUES, generate
from music.midi_io import score_to_midi
from tests.chartbusters.builders import make_challenge
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow]

SAMPLE = "new-world"


def test_an_honest_api_claim_is_verified_by_a_real_worker(api: APIClient, alice: User) -> None:
    challenge = make_challenge(allowed_techniques=["gan", "upload"], provenance_rule="verified")
    source = scores.score_from_stored_midi(scores.midi_bytes(scores.sample_score(SAMPLE)))
    claim = {"input": f"sample:{SAMPLE}", "technique": "gan", "parameters": {"style": "chorale"},
             "seed": 11, "model_version": TECHNIQUES["gan"].version}  # fmt: skip
    handle = BytesIO(score_to_midi(generate("gan", source, {"style": "chorale"}, 11)))
    handle.name = "mine.mid"
    api.force_authenticate(alice)
    with celery_worker(queues="generation", OMP_NUM_THREADS="1"):
        response = api.post(
            f"/api/challenges/{challenge.slug}/submissions/",
            {"title": "Mine", "technique": "gan", "file": handle, "provenance": json.dumps(claim)},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        entry = Submission.objects.get(uuid=response.json()["id"])

        def decided() -> bool:
            entry.refresh_from_db()
            return entry.verification != "pending"

        assert wait_until(decided, timeout=120), entry.verification
    assert (entry.verification, entry.verification_note) == ("verified", "")
