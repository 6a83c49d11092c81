"""Entering studio compositions in challenges: the API, the detail page and the entry form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus
from chartbusters.studio import scores
from chartbusters.studio.models import Composition
from chartbusters.studio.services import composition_delete, job_start
from chartbusters.studio.tasks import run_generation_job
from chartbusters.submissions.models import Submission
from generation.registry import TECHNIQUES
from tests.chartbusters.builders import make_challenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge(db: None) -> Challenge:
    return make_challenge(allowed_techniques=["gan", "arcnn", "transformer", "upload"])


@pytest.fixture
def generated(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch
) -> Composition:
    """A GAN result; its audio preview is not what these tests check, so it is not
    rendered (test_generation_task covers that)."""
    monkeypatch.setattr(scores, "render_ogg", lambda score: b"OggS preview")
    job = job_start(user=alice, input=sample_input, technique="gan", seed=5)
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    assert job.result is not None
    return job.result


def submit(api: APIClient, composition: Composition, **fields: Any) -> Any:
    body = {"challenge": "bach-to-the-future", "title": "My entry"} | fields
    return api.post(f"/api/studio/compositions/{composition.uuid}/submit/", body, format="json")


def test_a_generated_composition_is_entered_with_its_provenance(
    as_alice: APIClient, generated: Composition, sample_input: Composition, challenge: Challenge
) -> None:
    response = submit(as_alice, generated, description="GAN over Dvorak")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["technique"] == "gan"
    assert body["state"] == "queued"
    chain = body["provenance"].pop("chain")
    assert [link["kind"] for link in chain] == ["sample", "generated"]
    assert body["provenance"] == {
        "source": "studio",
        "input": {
            "composition": str(sample_input.uuid), "kind": "sample",
            "title": sample_input.title, "sample": "new-world",
        },
        "technique": "gan",
        "parameters": {"style": "chorale"},
        "seed": 5,
        "model_version": TECHNIQUES["gan"].version,
        "composition": str(generated.uuid),
    }  # fmt: skip
    entry = Submission.objects.get(uuid=body["id"])
    assert entry.midi.name != generated.midi.name  # its own copy
    detail = as_alice.get(f"/api/studio/compositions/{generated.uuid}/").json()
    assert detail["submissions"] == [
        {"challenge": challenge.slug, "id": body["id"], "state": "queued"}
    ]


def test_an_input_composition_is_entered_as_an_upload_with_its_chain(
    as_alice: APIClient, sample_input: Composition, challenge: Challenge
) -> None:
    response = submit(as_alice, sample_input)
    assert response.status_code == 201, response.json()
    assert response.json()["technique"] == "upload"
    assert response.json()["provenance"]["chain"] == [
        {"kind": "sample", "title": sample_input.title, "sample": "new-world"}
    ]


def test_an_entry_keeps_its_midi_when_the_composition_is_deleted(
    as_alice: APIClient,
    generated: Composition,
    challenge: Challenge,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = Submission.objects.get(uuid=submit(as_alice, generated).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        composition_delete(composition=generated)
    with entry.midi.open("rb") as handle:
        assert handle.read(4) == b"MThd"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"status": ChallengeStatus.FINISHED}, 400, "is not taking entries now"),
        ({"allowed_techniques": ["arcnn"]}, 400, "This challenge takes entries made with"),
        ({"daily_quota": 1}, 429, "You have used today's 1 entries"),
    ],
)
def test_the_challenge_rules_apply(
    as_alice: APIClient,
    generated: Composition,
    fields: dict[str, Any],
    status: int,
    message: str,
) -> None:
    make_challenge(**fields)
    first = submit(as_alice, generated)
    response = submit(as_alice, generated) if status == 429 else first
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Submission.objects.count() == (1 if status == 429 else 0)


def test_a_draft_or_unknown_challenge_is_a_404(as_alice: APIClient, generated: Composition) -> None:
    make_challenge("secret", status=ChallengeStatus.DRAFT)
    assert submit(as_alice, generated, challenge="secret").status_code == 404
    assert submit(as_alice, generated, challenge="nope").status_code == 404


# ----- pages ----------------------------------------------------------------------------


def test_the_detail_page_submits_a_composition(
    client: Client, alice: User, generated: Composition, challenge: Challenge
) -> None:
    client.force_login(alice)
    page = client.get(f"/studio/compositions/{generated.uuid}/").content.decode()
    assert f'<option value="{challenge.slug}">' in page
    response = client.post(
        f"/studio/compositions/{generated.uuid}/submit/",
        {"challenge": challenge.slug, "title": "From the page", "description": ""},
        follow=True,
    )
    entry = Submission.objects.get()
    assert response.redirect_chain[-1][0] == f"/submissions/{entry.uuid}/"
    assert entry.provenance is not None
    assert entry.provenance["composition"] == str(generated.uuid)


def test_the_entry_form_takes_a_studio_composition(
    client: Client, alice: User, generated: Composition, challenge: Challenge
) -> None:
    client.force_login(alice)
    url = f"/submissions/enter/{challenge.slug}/"
    form = client.get(f"{url}?composition={generated.uuid}").content.decode()
    assert f'<option value="{generated.uuid}" selected>' in form
    response = client.post(
        url,
        {"composition": str(generated.uuid), "title": "Picked", "technique": "upload"},
        follow=True,
    )
    entry = Submission.objects.get()
    assert response.redirect_chain[-1][0] == f"/submissions/{entry.uuid}/"
    assert entry.technique == "gan"
    assert entry.provenance is not None
    assert entry.provenance["seed"] == 5


def test_the_entry_form_needs_a_file_or_a_composition(
    client: Client, alice: User, generated: Composition, challenge: Challenge
) -> None:
    client.force_login(alice)
    response = client.post(
        f"/submissions/enter/{challenge.slug}/", {"title": "Nothing", "technique": "upload"}
    )
    assert response.status_code == 200
    assert "Upload a MIDI file or pick a composition from the studio." in response.content.decode()
    assert not Submission.objects.exists()


def test_the_entry_form_never_offers_someone_elses_composition(
    client: Client, bob: User, generated: Composition, challenge: Challenge
) -> None:
    client.force_login(bob)
    url = f"/submissions/enter/{challenge.slug}/"
    assert str(generated.uuid) not in client.get(url).content.decode()
    response = client.post(url, {"composition": str(generated.uuid), "title": "Stolen"})
    assert response.status_code == 200  # not a valid choice
    assert not Submission.objects.exists()
