"""Starting, polling and retrying generation jobs through the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.studio.pipeline import STOPPED
from chartbusters.studio.queueing import RUN_GENERATION_JOB
from chartbusters.studio.services import composition_create_from_sample, save_with_midi
from chartbusters.studio.states import JobState
from generation.registry import MAX_SEED, TECHNIQUES
from tests.chartbusters.studio.helpers import SAMPLE, melody

pytestmark = pytest.mark.django_db
URL = "/api/studio/jobs/"


def start(api: APIClient, source: Composition, **fields: Any) -> Any:
    return api.post(URL, {"input": str(source.uuid), **fields}, format="json")


def test_it_queues_a_job_on_commit_with_defaults_and_a_stored_random_seed(
    as_alice: APIClient, sample_input: Composition, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = start(as_alice, sample_input, technique="arcnn")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["state"] == "queued"
    assert body["progress"] == 0
    assert body["message"]
    assert body["input"] == str(sample_input.uuid)
    assert body["result"] is None
    assert body["can_retry"] is False
    assert body["params"] == TECHNIQUES["arcnn"].params.defaults()
    assert 0 <= body["seed"] <= MAX_SEED
    job = GenerationJob.objects.get(uuid=body["id"])
    assert job.seed == body["seed"]
    assert [c.__name__ for c in callbacks] == [f"publish {RUN_GENERATION_JOB}"]


def test_a_given_seed_and_params_are_kept(as_alice: APIClient, sample_input: Composition) -> None:
    response = start(
        as_alice, sample_input, technique="gan", params={"style": "renaissance"}, seed=42
    )
    assert response.status_code == 202
    assert response.json()["seed"] == 42
    assert response.json()["params"] == {"style": "renaissance"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"technique": "arcnn", "params": {"creative_risk": 9}},
            "creative_risk",
            "Creative risk must be between 0.5 and 6, not 9.",
        ),
        (
            {"technique": "gan", "params": {"style": "jazz"}},
            "style",
            "Style must be one of 'chorale' or 'renaissance', not 'jazz'.",
        ),
        (
            {"technique": "transformer", "params": {"temprature": 1}},
            "temprature",
            "Unknown parameter 'temprature'",
        ),
        ({"technique": "arcnn", "seed": -1}, "seed", "seed must be a whole number between 0"),
        ({"technique": "dall-e"}, "technique", "Unknown technique 'dall-e'"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_queued(
    as_alice: APIClient,
    sample_input: Composition,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = start(as_alice, sample_input, **fields)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert response.json()["extra"]["field"] == field
    assert not GenerationJob.objects.exists()


def test_an_input_over_32_bars_is_refused(as_alice: APIClient, alice: User) -> None:
    long = Composition(owner=alice, title="Long", kind="upload")
    save_with_midi(long, melody(40))
    response = start(as_alice, long, technique="gan")
    assert response.status_code == 400
    assert "40 bars long; the generators take at most 32 bars" in response.json()["detail"]


def test_someone_elses_input_is_refused(as_bob: APIClient, sample_input: Composition) -> None:
    response = start(as_bob, sample_input, technique="gan")
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "input"
    assert not GenerationJob.objects.exists()


def test_a_participant_has_at_most_three_unfinished_jobs(
    as_alice: APIClient, sample_input: Composition
) -> None:
    for _ in range(3):
        assert start(as_alice, sample_input, technique="gan").status_code == 202
    response = start(as_alice, sample_input, technique="gan")
    assert response.status_code == 429
    assert "already have 3 generations waiting or running" in response.json()["detail"]
    GenerationJob.objects.filter(pk=GenerationJob.objects.first().pk).update(  # type: ignore[union-attr]
        state=JobState.DONE
    )
    assert start(as_alice, sample_input, technique="gan").status_code == 202


def test_the_owner_polls_a_job_and_others_get_404(
    as_alice: APIClient, as_bob: APIClient, api: APIClient, sample_input: Composition
) -> None:
    job_id = start(as_alice, sample_input, technique="gan").json()["id"]
    assert as_alice.get(f"{URL}{job_id}/").json()["id"] == job_id
    assert as_bob.get(f"{URL}{job_id}/").status_code == 404
    assert as_bob.post(f"{URL}{job_id}/retry/").status_code == 404
    assert api.get(f"{URL}{job_id}/").status_code in (401, 403)
    assert api.post(URL, {"input": str(sample_input.uuid), "technique": "gan"}).status_code in (
        401,
        403,
    )


def test_a_failed_job_is_retried_with_the_same_seed(
    as_alice: APIClient, sample_input: Composition, django_capture_on_commit_callbacks: Any
) -> None:
    job_id = start(as_alice, sample_input, technique="gan", seed=7).json()["id"]
    GenerationJob.objects.filter(uuid=job_id).update(
        state=JobState.FAILED, retryable=True, message=STOPPED
    )
    assert as_alice.get(f"{URL}{job_id}/").json()["can_retry"] is True
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_alice.post(f"{URL}{job_id}/retry/")
    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["state"], body["seed"], body["attempts"]) == (
        job_id, "queued", 7, 2
    )  # fmt: skip
    assert body["can_retry"] is False
    assert len(callbacks) == 1


def test_only_a_retryable_failed_job_can_be_retried(
    as_alice: APIClient, sample_input: Composition
) -> None:
    job_id = start(as_alice, sample_input, technique="gan").json()["id"]
    response = as_alice.post(f"{URL}{job_id}/retry/")
    assert response.status_code == 409
    assert "Only a failed job can be retried" in response.json()["detail"]
    GenerationJob.objects.filter(uuid=job_id).update(
        state=JobState.FAILED, retryable=False, message="The input has no pitched notes."
    )
    response = as_alice.post(f"{URL}{job_id}/retry/")
    assert response.status_code == 409
    assert "would fail the same way: The input has no pitched notes." in response.json()["detail"]


def test_the_catalogues_are_public(api: APIClient) -> None:
    samples = api.get("/api/studio/samples/")
    assert samples.status_code == 200
    rows = samples.json()
    assert len(rows) == 20
    row = next(r for r in rows if r["slug"] == SAMPLE)
    assert row["bars"] == 8
    assert row["roll"]["tracks"][0]["notes"]
    assert row["midi_url"] == f"/api/studio/samples/{SAMPLE}/midi"
    assert api.get(row["midi_url"]).content.startswith(b"MThd")
    techniques = api.get("/api/studio/techniques/").json()
    assert [t["name"] for t in techniques] == list(TECHNIQUES)
    gan = next(t for t in techniques if t["name"] == "gan")
    assert gan["params"][0]["type"] == "choice"
    assert [s["name"] for s in gan["styles"]] == gan["params"][0]["choices"]
    assert gan["version"] == TECHNIQUES["gan"].version


def test_a_sample_audio_is_served_once_rendered(api: APIClient) -> None:
    from chartbusters.studio.tasks import render_sample_audio

    url = f"/api/studio/samples/{SAMPLE}/audio"
    pending = api.get(url)
    assert pending.status_code == 503
    assert pending["Retry-After"]
    assert render_sample_audio.run([SAMPLE]) == [SAMPLE]
    assert render_sample_audio.run([SAMPLE]) == []  # cached
    ready = api.get(url)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "audio/ogg"
    assert b"".join(ready.streaming_content).startswith(b"OggS")  # type: ignore[attr-defined]
    assert api.get("/api/studio/samples/nope/audio").status_code == 404


def test_unfinished_jobs_do_not_block_other_users(
    as_alice: APIClient, bob: User, sample_input: Composition
) -> None:
    for _ in range(3):
        start(as_alice, sample_input, technique="gan")
    mine = composition_create_from_sample(user=bob, slug=SAMPLE)
    from tests.chartbusters.studio.helpers import client_for

    assert start(client_for(bob), mine, technique="gan").status_code == 202
