"""Entries from the studio carry the chain the studio recorded, never a client's word."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.studio import scores
from chartbusters.studio.models import Composition
from chartbusters.studio.services import composition_create_from_notes, job_start
from chartbusters.studio.tasks import run_generation_job
from chartbusters.submissions import services as submission_services
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import given_samples
from tests.chartbusters.builders import make_challenge
from tests.chartbusters.studio.helpers import SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge(db: None) -> Challenge:
    return make_challenge(allowed_techniques=["gan", "arcnn", "transformer", "upload"])


@pytest.fixture
def generated(
    alice: User, sample_input: Composition, monkeypatch: pytest.MonkeyPatch
) -> Composition:
    monkeypatch.setattr(scores, "render_ogg", lambda score: b"OggS preview")
    job = job_start(user=alice, input=sample_input, technique="gan", seed=5)
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    assert job.result is not None
    return job.result


@pytest.fixture
def reruns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The entries whose re-run was queued (none may be, for studio entries)."""
    queued: list[int] = []
    monkeypatch.setattr(submission_services, "publish_verification", queued.append)
    return queued


def hand_edit(user: User, parent: Composition) -> Composition:
    track = scores.TrackNotes(notes=[[60, 0, 480, 80], [64, 480, 480, 80]])
    notes = scores.NotesInput(tempo=100, ticks_per_beat=480, tracks=(track,))
    return composition_create_from_notes(user=user, notes=notes, parent=parent)


def submit(api: APIClient, composition: Composition, **fields: Any) -> Any:
    body = {"challenge": "bach-to-the-future", "title": "My entry"} | fields
    return api.post(f"/api/studio/compositions/{composition.uuid}/submit/", body, format="json")


def kinds(entry: Submission) -> list[str]:
    assert entry.provenance is not None
    return [link["kind"] for link in entry.provenance["chain"]]


def test_a_generated_entry_is_made_in_the_studio_without_a_rerun(
    as_alice: APIClient, generated: Composition, challenge: Challenge, reruns: list[int]
) -> None:
    entry = Submission.objects.get(uuid=submit(as_alice, generated).json()["id"])
    assert (entry.verification, entry.hand_edited) == ("studio", False)
    assert kinds(entry) == ["sample", "generated"]
    assert entry.provenance is not None
    assert entry.provenance["chain"][0]["sample"] == SAMPLE
    assert entry.provenance["chain"][1]["seed"] == 5
    assert generated.submissions.get() == entry  # the server-side link
    assert reruns == []


def test_a_hand_edit_after_a_generator_run_marks_the_entry_hand_edited(
    as_alice: APIClient, alice: User, generated: Composition, challenge: Challenge
) -> None:
    edited = hand_edit(alice, generated)
    entry = Submission.objects.get(uuid=submit(as_alice, edited).json()["id"])
    assert (entry.verification, entry.hand_edited) == ("studio", True)
    assert kinds(entry) == ["sample", "generated", "edit"]


def test_an_edited_sample_claims_no_generator(
    as_alice: APIClient, alice: User, sample_input: Composition, challenge: Challenge
) -> None:
    entry = Submission.objects.get(
        uuid=submit(as_alice, hand_edit(alice, sample_input)).json()["id"]
    )
    assert (entry.technique, entry.verification, entry.hand_edited) == (
        "upload", "not_claimed", False,
    )  # fmt: skip
    assert kinds(entry) == ["sample", "edit"]


def test_a_deleted_input_leaves_what_the_result_recorded_of_it(
    as_alice: APIClient, generated: Composition, sample_input: Composition, challenge: Challenge
) -> None:
    sample_input.delete()
    entry = Submission.objects.get(uuid=submit(as_alice, generated).json()["id"])
    assert kinds(entry) == ["sample", "generated"]
    assert entry.verification == "studio"


def test_a_provenance_sent_for_a_studio_entry_is_ignored(
    client: Any, alice: User, generated: Composition, challenge: Challenge
) -> None:
    """The entry form's provenance box is the client's word: with a composition picked,
    the studio's record is used instead."""
    client.force_login(alice)
    forged = {"input": "sample:twinkle-twinkle", "technique": "gan", "parameters": {},
              "seed": 99, "model_version": "gan-forged"}  # fmt: skip
    client.post(
        f"/submissions/enter/{challenge.slug}/",
        {"composition": str(generated.uuid), "title": "Picked", "technique": "gan",
         "provenance": str(forged).replace("'", '"')},
    )  # fmt: skip
    entry = Submission.objects.get()
    assert entry.provenance is not None
    assert (entry.provenance["seed"], entry.verification) == (5, "studio")


def test_the_entry_page_shows_a_studio_entry_and_its_chain(
    client: Any, as_alice: APIClient, alice: User, generated: Composition, challenge: Challenge
) -> None:
    entry = Submission.objects.get(uuid=submit(as_alice, hand_edit(alice, generated)).json()["id"])
    client.force_login(alice)
    html = client.get(f"/submissions/{entry.uuid}/").content.decode()
    assert "Made in the studio · hand-edited" in html
    steps = ["Sample melody", "GAN (accompaniment) (Style chorale, seed 5)",
             "Hand edit in the piano roll", "This entry"]  # fmt: skip
    positions = [html.index(f"<strong>{step}</strong>") for step in steps]
    assert positions == sorted(positions)


def test_a_generated_entry_is_judged_as_built_on_its_sample(
    as_alice: APIClient, generated: Composition, challenge: Challenge, reruns: list[int]
) -> None:
    entry = Submission.objects.get(uuid=submit(as_alice, generated).json()["id"])
    assert given_samples(entry.provenance, entry.verification) == [f"sample:{SAMPLE}"]


def test_a_hand_edited_sample_is_not_built_on_it(
    as_alice: APIClient, alice: User, sample_input: Composition, challenge: Challenge
) -> None:
    edited = hand_edit(alice, sample_input)
    entry = Submission.objects.get(uuid=submit(as_alice, edited, technique="upload").json()["id"])
    assert entry.verification == "not_claimed"
    assert given_samples(entry.provenance, entry.verification) == []
