"""Verification by regeneration: an honest claim is verified, every kind of tampering is
unverified with the first difference named, and no claim crashes the worker. The task
function is called directly (the real worker test is in test_verification_worker)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from io import BytesIO
from typing import Any

import pytest
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.studio import scores
from chartbusters.studio.tasks import verify_provenance
from chartbusters.studio.verification import first_difference, note_keys
from chartbusters.submissions.models import Submission
from generation.registry import TECHNIQUES, generate
from music.midi_io import score_to_midi
from music.render import pitch_name
from music.score import Note, Score, Track
from tests.chartbusters.builders import enter, make_challenge

pytestmark = pytest.mark.django_db

SAMPLE = "new-world"  # 8 bars; the GAN is the quickest generator


def claim(**changes: Any) -> dict[str, Any]:
    return {
        "input": f"sample:{SAMPLE}",
        "technique": "gan",
        "parameters": {"style": "chorale"},
        "seed": 5,
        "model_version": TECHNIQUES["gan"].version,
    } | changes


def run_claim(provenance: dict[str, Any], source: Score | None = None) -> Score:
    """What a participant's own machine makes of a claim (``python -m generation``)."""
    if source is None:
        source = scores.score_from_stored_midi(scores.midi_bytes(scores.sample_score(SAMPLE)))
    return generate("gan", source, provenance["parameters"], provenance["seed"])


@pytest.fixture(scope="module")
def honest() -> bytes:
    return score_to_midi(run_claim(claim()))


@pytest.fixture
def challenge(db: None) -> Challenge:
    return make_challenge(allowed_techniques=["gan", "arcnn", "transformer", "upload"])


def verified(
    user: User, challenge: Challenge, midi: bytes, provenance: dict[str, Any]
) -> Submission:
    entry = enter(user, challenge, technique="gan", midi_bytes=midi, provenance=provenance)
    assert entry.verification == "pending"
    verify_provenance.run(entry.pk)
    entry.refresh_from_db()
    return entry


def test_an_honest_claim_sent_by_api_is_verified(
    api: APIClient, alice: User, challenge: Challenge, honest: bytes
) -> None:
    api.force_authenticate(alice)
    handle = BytesIO(honest)
    handle.name = "gan.mid"
    body = {"title": "Mine", "technique": "gan", "file": handle, "provenance": json.dumps(claim())}
    response = api.post(f"/api/challenges/{challenge.slug}/submissions/", body, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["verification"] == "pending"
    entry = Submission.objects.get(uuid=response.json()["id"])
    assert verify_provenance.run(entry.pk) == "verified"
    entry.refresh_from_db()
    assert (entry.verification, entry.verification_note) == ("verified", "")
    assert verify_provenance.run(entry.pk) == "nothing to do"  # a repeated delivery


def test_an_honest_claim_on_an_input_midi_is_verified(alice: User, challenge: Challenge) -> None:
    data = score_to_midi(scores.sample_score("ode-to-joy"))
    provenance = claim(input={"midi": base64.b64encode(data).decode()}, seed=9)
    made = run_claim(provenance, scores.score_from_upload(data))
    entry = verified(alice, challenge, score_to_midi(made), provenance)
    assert entry.verification == "verified", entry.verification_note


@pytest.mark.parametrize(
    "tampered",
    [
        claim(parameters={"style": "renaissance"}),
        claim(seed=6),
        claim(input="sample:ode-to-joy"),
    ],
    ids=["parameter", "seed", "input"],
)
def test_a_tampered_claim_is_unverified_with_the_first_difference(
    alice: User, challenge: Challenge, honest: bytes, tampered: dict[str, Any]
) -> None:
    entry = verified(alice, challenge, honest, tampered)
    assert entry.verification == "unverified"
    assert entry.verification_note.startswith(("Note ", "The claim gives")), entry.verification_note


def test_one_changed_note_is_named(alice: User, challenge: Challenge, honest: bytes) -> None:
    made = scores.score_from_stored_midi(honest)
    keys = note_keys(made)
    # The lowest note of an onset past the tenth note: one semitone down keeps its place.
    number = next(i for i in range(10, len(keys)) if keys[i][0] > keys[i - 1][0])
    start, pitch, track = keys[number][:3]
    notes = made.tracks[track - 1].notes
    at = next(i for i, n in enumerate(notes) if (n.start, n.pitch) == (start, pitch))
    notes[at] = replace(notes[at], pitch=pitch - 1)
    entry = verified(alice, challenge, score_to_midi(made), claim())
    beat = f"{start / made.resolution + 1:g}"
    assert entry.verification_note == (
        f"Note {number + 1} differs: the claim gives {pitch_name(pitch)} at beat {beat}, "
        f"the entry has {pitch_name(pitch - 1)}."
    )


def test_a_model_version_no_longer_shipped_cannot_be_verified(
    alice: User, challenge: Challenge, honest: bytes
) -> None:
    gone = f"gan-{TECHNIQUES['gan'].code_version}+abc"  # this code, weights nobody has
    entry = verified(alice, challenge, honest, claim(model_version=gone))
    assert entry.verification == "unverified"
    assert entry.verification_note.startswith(f"The model version {gone} is no longer shipped")
    assert entry.verification_note.endswith("so this cannot be verified.")


@pytest.mark.parametrize(
    ("tampered", "reason"),
    [
        (claim(input="sample:nope"), "The input names no sample melody we ship"),
        (claim(input={"midi": "%%%"}), "The input MIDI is not valid base64"),
        (
            claim(input={"midi": base64.b64encode(b"MThd junk").decode()}),
            "The input MIDI is refused",
        ),
        (claim(input=["not", "an", "input"]), "The input is neither"),
        (claim(parameters={"style": "disco"}), "The parameters are not valid"),
        (claim(seed=-1), "The parameters are not valid"),
    ],
    ids=["unknown-sample", "bad-base64", "bad-midi", "bad-shape", "bad-param", "bad-seed"],
)
def test_a_claim_that_cannot_run_is_unverified_with_the_reason(
    alice: User, challenge: Challenge, honest: bytes, tampered: dict[str, Any], reason: str
) -> None:
    entry = enter(alice, challenge, technique="gan", midi_bytes=honest, provenance=claim())
    Submission.objects.filter(pk=entry.pk).update(provenance=tampered)  # past the shape check
    assert verify_provenance.run(entry.pk) == "unverified"
    entry.refresh_from_db()
    assert entry.verification_note.startswith(reason), entry.verification_note


def test_a_failure_on_our_side_ends_unverified_and_says_so(
    alice: User, challenge: Challenge, honest: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Score:
        raise RuntimeError("boom")

    monkeypatch.setattr("chartbusters.studio.generators.generate", broken)
    entry = verified(alice, challenge, honest, claim())
    assert entry.verification == "unverified"
    assert "error on our side" in entry.verification_note


# ----- the comparison on tiny pieces ---------------------------------------------------


def tiny(*notes: tuple[int, int, int, int]) -> Score:
    return Score(tracks=[Track([Note(*n) for n in notes])], resolution=4)


CLAIMED = tiny((0, 60, 4, 80), (4, 64, 4, 80))
DIFFERS = "note 2 differs: the claim gives E4 at beat 2"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (tiny((0, 60, 4, 80), (4, 64, 4, 80)), ""),
        (tiny((0, 60, 4, 80), (4, 65, 4, 80)), f"{DIFFERS}, the entry has F4"),
        (tiny((0, 60, 4, 80), (6, 64, 4, 80)), f"{DIFFERS}, the entry has E4 at beat 2.5"),
        (tiny((0, 60, 4, 80), (4, 64, 8, 80)), f"{DIFFERS} lasting 1 beat, the entry 2 beats"),
        (tiny((0, 60, 4, 80), (4, 64, 4, 90)), f"{DIFFERS} at velocity 80, the entry at 90"),
        (
            tiny((0, 60, 4, 80)),
            "the claim gives 2 notes, the entry 1: note 2 (E4 at beat 2) is missing",
        ),
        (
            tiny((0, 60, 4, 80), (4, 64, 4, 80), (8, 67, 4, 80)),
            "the claim gives 2 notes, the entry 3: note 3 (G4 at beat 3) is extra",
        ),
    ],
    ids=["same", "pitch", "onset", "duration", "velocity", "missing", "extra"],
)
def test_the_first_difference_is_named_in_words(entry: Score, words: str) -> None:
    assert first_difference(CLAIMED, entry) == words


def test_the_rerun_goes_to_the_generation_queue() -> None:
    """The web process never runs a model: the re-run is a generation worker's."""
    from chartbusters.celery import app
    from chartbusters.submissions.verification import VERIFY_PROVENANCE

    assert verify_provenance.name == VERIFY_PROVENANCE
    assert app.amqp.router.route({}, VERIFY_PROVENANCE)["queue"].name == "generation"
