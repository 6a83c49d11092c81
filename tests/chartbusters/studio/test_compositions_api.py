"""Creating, listing, reading, renaming and deleting compositions through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.models import AudioState, Composition, CompositionKind
from chartbusters.studio.queueing import RENDER_COMPOSITION_AUDIO
from chartbusters.studio.services import composition_create_from_sample
from music.midi_io import score_from_midi
from tests.chartbusters.studio.helpers import SAMPLE, job_for, midi, stored_files

pytestmark = pytest.mark.django_db
URL = "/api/studio/compositions/"


def upload(api: APIClient, data: bytes, name: str = "my tune.mid", **extra: Any) -> Any:
    file = SimpleUploadedFile(name, data, content_type="audio/midi")
    return api.post(URL, {"midi": file, **extra}, format="multipart")


def message_of(response: Any) -> str:
    """The error's message, with the per-field messages where DRF gave them."""
    body = response.json()
    return f"{body['detail']} {body.get('fields', '')}"


def media() -> Path:
    return Path(settings.MEDIA_ROOT)


# ----- create ---------------------------------------------------------------------------


def test_it_creates_an_input_from_an_upload(as_alice: APIClient, alice: User) -> None:
    response = upload(as_alice, midi(4), name="../../etc/evil name.mid")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "upload"
    assert body["title"] == "evil name"
    assert body["bars"] == 4
    assert body["technique"] is None
    assert body["parent"] is None
    assert body["audio_url"] is None
    assert body["audio_state"] == "pending"
    assert body["midi_url"] == f"{URL}{body['id']}/midi"
    assert body["roll"]["ticks_per_beat"] == 480
    assert body["roll"]["length"] == 4 * 4 * 480
    assert body["roll"]["tracks"][0]["notes"][0] == [60, 0, 480, 90]
    composition = Composition.objects.get(uuid=body["id"], owner=alice)
    assert composition.midi.name == f"studio/{alice.pk}/{composition.uuid}.mid"
    assert "evil" not in composition.midi.name


def test_it_queues_the_input_audio_render_on_commit(
    as_alice: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(as_alice, midi(2))
    assert response.status_code == 201
    assert [c.__name__ for c in callbacks] == [f"publish {RENDER_COMPOSITION_AUDIO}"]


def midi_in_meter(meter: tuple[int, int], *, seconds: float, tempo: float = 120.0) -> bytes:
    """One note per beat for ``seconds``, written in ``meter``."""
    from music.midi_io import score_to_midi
    from music.score import Note, Score, Track

    beats = round(seconds * tempo / 60)
    notes = [Note(i * 480, 60 + i % 7, 480, 80) for i in range(beats)]
    return score_to_midi(Score([Track(notes)], tempo=tempo, time_signature=meter))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a midi file at all", "not a MIDI file"),
        (b"", "empty"),
        (midi(40), "40 bars long; the studio takes at most 32 bars"),
        # 594 s written as "4 bars" of 255/1: counted on a sane grid, 297 bars of 4/4.
        (midi_in_meter((255, 1), seconds=594.0), "297 bars of 4/4 long"),
    ],
)
def test_it_refuses_an_invalid_upload_and_stores_nothing(
    as_alice: APIClient, data: bytes, message: str
) -> None:
    response = upload(as_alice, data)
    assert response.status_code == 400
    assert message.lower() in message_of(response).lower()
    assert not Composition.objects.exists()
    assert stored_files(media()) == []


def test_it_refuses_an_oversized_upload_before_reading_it(as_alice: APIClient) -> None:
    response = upload(as_alice, b"MThd" + b"\0" * (600 * 1024))
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert "the limit is 512 KB" in response.json()["detail"]


def test_it_creates_an_input_from_a_sample(as_alice: APIClient) -> None:
    response = as_alice.post(URL, {"sample": SAMPLE}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "sample"
    assert body["sample"] == SAMPLE
    assert body["bars"] == 8
    assert body["title"]


def test_using_a_sample_again_reuses_the_same_input(as_alice: APIClient, as_bob: APIClient) -> None:
    first = as_alice.post(URL, {"sample": SAMPLE}, format="json")
    again = as_alice.post(URL, {"sample": SAMPLE}, format="json")
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert Composition.objects.filter(owner__username="alice").count() == 1
    bobs = as_bob.post(URL, {"sample": SAMPLE}, format="json")
    assert bobs.status_code == 201
    assert bobs.json()["id"] != first.json()["id"]


def test_a_sample_under_a_new_title_is_a_new_input(as_alice: APIClient) -> None:
    first = as_alice.post(URL, {"sample": SAMPLE}, format="json")
    renamed = as_alice.post(URL, {"sample": SAMPLE, "title": "My own Ode"}, format="json")
    assert renamed.status_code == 201
    assert renamed.json()["id"] != first.json()["id"]


def test_it_refuses_an_unknown_sample(as_alice: APIClient) -> None:
    response = as_alice.post(URL, {"sample": "no-such-tune"}, format="json")
    assert response.status_code == 400
    assert "no sample melody called 'no-such-tune'" in response.json()["detail"]


def notes_body(**fields: Any) -> dict[str, Any]:
    body = {
        "title": "Played",
        "tempo": 96,
        "ticks_per_beat": 480,
        "time_signature": [3, 4],
        "program": 0,
        "notes": [[60, 0, 480, 90], [64, 480, 480, 90], [67, 960, 480, 80]],
    }
    return body | fields


def test_it_creates_a_recording_from_notes(as_alice: APIClient) -> None:
    response = as_alice.post(URL, notes_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "recording"
    assert body["title"] == "Played"
    assert body["tempo"] == pytest.approx(96, abs=0.01)
    assert body["bars"] == 1
    assert body["roll"]["time_signature"] == [3, 4]
    stored = Composition.objects.get(uuid=body["id"])
    with stored.midi.open("rb") as handle:
        score = score_from_midi(handle.read())
    assert [(n.pitch, n.start, n.duration) for n in score.all_notes()] == [
        (60, 0, 480), (64, 480, 480), (67, 960, 480)
    ]  # fmt: skip


def test_an_edit_of_a_composition_records_its_parent(
    as_alice: APIClient, sample_input: Composition
) -> None:
    response = as_alice.post(URL, notes_body(parent=str(sample_input.uuid)), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "edit"
    assert response.json()["parent"] == str(sample_input.uuid)


def test_nobody_edits_from_another_persons_composition(
    as_bob: APIClient, sample_input: Composition
) -> None:
    response = as_bob.post(URL, notes_body(parent=str(sample_input.uuid)), format="json")
    assert response.status_code == 404
    assert not Composition.objects.filter(owner__username="bob").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"notes": [[130, 0, 480, 90]]}, "notes[0]: the pitch must be between 0 and 127, not 130"),
        ({"notes": [[60, 0, 0, 90]]}, "notes[0]: the duration must be greater than 0"),
        ({"notes": [[60, 0, 480, 0]]}, "notes[0]: the velocity must be between 1 and 127"),
        ({"notes": []}, "Add at least one note"),
        ({"tempo": 1000}, "tempo must be between 20 and 400"),
        ({"notes": [[60, 33 * 3 * 480, 480, 90]]}, "34 bars long; the studio takes at most 32"),
        ({"notes": [[60, 0, 480, 90]] * 5001}, "no more than 5000 elements"),
        ({"time_signature": [4, 5]}, "denominator must be one of"),
    ],
)
def test_it_refuses_bad_notes_with_a_message_naming_the_field(
    as_alice: APIClient, fields: dict[str, Any], message: str
) -> None:
    response = as_alice.post(URL, notes_body(**fields), format="json")
    assert response.status_code == 400
    assert message in message_of(response)
    assert not Composition.objects.exists()


def tracks_body(**fields: Any) -> dict[str, Any]:
    """What the piano-roll editor sends for an edit of a multi-track piece (editor.js)."""
    body = notes_body(kind="edit", time_signature=[4, 4]) | {
        "tracks": [
            {"program": 0, "name": "Melody", "notes": [[72, 0, 480, 90], [74, 480, 480, 90]]},
            {"program": 42, "name": "Cello", "notes": [[48, 0, 960, 70]]},
            {"program": 0, "notes": [[60, 0, 240, 60]]},  # a part with no name
        ],
    }
    del body["notes"], body["program"]
    return body | fields


def test_it_creates_an_edit_with_several_tracks(
    as_alice: APIClient, sample_input: Composition
) -> None:
    response = as_alice.post(URL, tracks_body(parent=str(sample_input.uuid)), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["parent"]) == ("edit", str(sample_input.uuid))
    tracks = body["roll"]["tracks"]
    assert [(t["program"], t["name"], t["notes"]) for t in tracks] == [
        (0, "Melody", [[72, 0, 480, 90], [74, 480, 480, 90]]),
        (42, "Cello", [[48, 0, 960, 70]]),
        (0, "Melody", [[60, 0, 240, 60]]),
    ]
    stored = Composition.objects.get(uuid=body["id"])
    with stored.midi.open("rb") as handle:
        score = score_from_midi(handle.read())
    assert [t.program for t in score.tracks] == [0, 42, 0]
    assert score.note_count == 4


def test_a_drum_track_stays_a_drum_track(as_alice: APIClient) -> None:
    drums = {"program": 0, "name": "Kit", "is_drum": True, "notes": [[36, 0, 120, 100]]}
    body = tracks_body()
    response = as_alice.post(URL, body | {"tracks": [*body["tracks"][:1], drums]}, format="json")
    assert response.status_code == 201, response.json()
    assert [t["is_drum"] for t in response.json()["roll"]["tracks"]] == [False, True]


def test_an_edit_of_a_generated_piece_round_trips_through_the_editor_payload(
    as_alice: APIClient, alice: User, sample_input: Composition
) -> None:
    """The GAN's four voices, sent back as the editor sends them, come out the same."""
    from chartbusters.studio.tasks import run_generation_job

    job = job_for(alice, sample_input, "gan")
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    source = as_alice.get(f"{URL}{job.result.uuid}/").json()  # type: ignore[union-attr]
    payload = {
        "kind": "edit",
        "parent": source["id"],
        "title": "Voices, edited",
        "tempo": source["tempo"],
        "ticks_per_beat": source["roll"]["ticks_per_beat"],
        "time_signature": source["roll"]["time_signature"],
        "tracks": [
            {"program": t["program"], "name": t["name"], "notes": t["notes"]}
            for t in source["roll"]["tracks"]
        ],
    }
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    edited = response.json()
    assert len(edited["roll"]["tracks"]) == 4
    assert [t["notes"] for t in edited["roll"]["tracks"]] == [
        t["notes"] for t in source["roll"]["tracks"]
    ]


def test_a_result_longer_than_an_input_may_be_can_be_edited_but_not_lengthened(
    as_alice: APIClient, alice: User
) -> None:
    """The Transformer adds up to 30 seconds to an input of up to 32 bars: its result
    may be edited (it was refused as too long), within its own length."""
    from chartbusters.studio.tasks import run_generation_job

    source = Composition.objects.get(uuid=upload(as_alice, midi(32)).json()["id"])
    job = job_for(alice, source, "transformer", params={"extension_duration": 30})
    assert run_generation_job.run(job.pk) == "done"
    job.refresh_from_db()
    result = as_alice.get(f"{URL}{job.result.uuid}/").json()  # type: ignore[union-attr]
    assert result["bars"] > 32
    roll = result["roll"]
    tracks = [
        {"program": t["program"], "name": t["name"], "notes": t["notes"]} for t in roll["tracks"]
    ]
    first = tracks[0]["notes"][0]
    tracks[0]["notes"][0] = [first[0] + 1, *first[1:]]
    payload = {
        "kind": "edit",
        "parent": result["id"],
        "title": "Longer, edited",
        "tempo": result["tempo"],
        "ticks_per_beat": roll["ticks_per_beat"],
        "time_signature": roll["time_signature"],
        "tracks": tracks,
    }
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["bars"] == result["bars"]
    bar = roll["ticks_per_beat"] * 4
    tracks[0]["notes"].append([60, result["bars"] * bar, bar, 80])  # one bar more
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 400
    assert f"at most {result['bars']} bars" in message_of(response)
    recording = {**payload, "kind": "recording", "parent": None}
    response = as_alice.post(URL, recording, format="json")  # not an edit: the usual limit
    assert response.status_code == 400
    assert "at most 32 bars" in message_of(response)


@pytest.mark.parametrize("resolution", [1, 3840, 32767])
def test_an_upload_at_any_resolution_midi_allows_can_be_edited_and_saved(
    as_alice: APIClient, resolution: int
) -> None:
    """The editor sends back the resolution it was given: whatever an upload may have."""
    source = upload(as_alice, midi(2, resolution=resolution)).json()
    roll = source["roll"]
    assert roll["ticks_per_beat"] == resolution
    notes = roll["tracks"][0]["notes"]
    payload = {
        "kind": "edit",
        "parent": source["id"],
        "title": "Edited",
        "tempo": source["tempo"],
        "ticks_per_beat": roll["ticks_per_beat"],
        "time_signature": roll["time_signature"],
        "notes": [*notes[:-1], [72, *notes[-1][1:]]],
    }
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    edited = response.json()["roll"]
    assert edited["ticks_per_beat"] == resolution
    assert edited["tracks"][0]["notes"] == [*notes[:-1], [72, *notes[-1][1:]]]


def track(notes: list[list[int]], **fields: Any) -> dict[str, Any]:
    return {"program": 0, "name": "Part", "notes": notes, **fields}


@pytest.mark.parametrize(
    ("tracks", "message"),
    [
        ([track([[60, 0, 480, 90]]), track([[128, 0, 480, 90]])],
         "tracks[1].notes[0]: the pitch must be between 0 and 127, not 128"),
        ([track([[60, 0, 480, 90]]), track([[60, 0, 0, 90]])],
         "tracks[1].notes[0]: the duration must be greater than 0"),
        ([track([[60, 0, -5, 90]])], "tracks[0].notes[0]: the duration must be greater than 0"),
        ([track([[60, 0, 480, 90]]), track([[60, 0, 480, 200]])],
         "tracks[1].notes[0]: the velocity must be between 1 and 127, not 200"),
        ([track([[60, 0, 480, 90]]), track([[60, 0, 480, 90]], program=128)],
         "tracks[1].program must be between 0 and 127, not 128"),
        ([track([[60, 0, 480, 90]]), track([])], "tracks[1] has no notes; leave it out"),
        ([track([[60, 0, 480, 90]])] * 17, "no more than 16 elements"),
        ([], "Send at least one track"),
        ([track([[60, 0, 480, 90]] * 2500), track([[62, 0, 480, 90]] * 2501)],
         "There are 5001 notes; the limit is 5000"),
        ([track([[60, 0, 480, 90]]), track([[60, 33 * 4 * 480, 480, 90]])],
         "34 bars long; the studio takes at most 32"),
        ([track([[60, 0, 480]])], "Ensure this field has at least 4 elements"),
        ([{"name": "no notes"}], "notes"),
    ],
)  # fmt: skip
def test_it_refuses_bad_tracks_with_a_message_naming_the_track(
    as_alice: APIClient, tracks: list[dict[str, Any]], message: str
) -> None:
    response = as_alice.post(URL, tracks_body(tracks=tracks), format="json")
    assert response.status_code == 400
    assert message in message_of(response)
    assert not Composition.objects.exists()


def test_notes_and_tracks_together_are_refused(as_alice: APIClient) -> None:
    response = as_alice.post(URL, tracks_body(notes=[[60, 0, 480, 90]]), format="json")
    assert response.status_code == 400
    assert "either notes (one track) or tracks" in message_of(response)


def test_a_request_without_any_input_says_what_to_send(as_alice: APIClient) -> None:
    response = as_alice.post(URL, {"title": "x"}, format="json")
    assert response.status_code == 400
    assert "midi" in response.json()["detail"]
    assert "sample" in response.json()["detail"]


# ----- read ------------------------------------------------------------------------------


def test_the_list_shows_mine_newest_first_in_a_constant_number_of_queries(
    as_alice: APIClient, alice: User, bob: User
) -> None:
    composition_create_from_sample(user=bob, slug=SAMPLE)

    def count_queries() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = as_alice.get(URL)
        assert response.status_code == 200
        return len(queries), [row["title"] for row in response.json()["results"]]

    composition_create_from_sample(user=alice, slug=SAMPLE, title="first")
    few, titles = count_queries()
    assert titles == ["first"]
    for n in range(6):
        composition_create_from_sample(user=alice, slug=SAMPLE, title=f"more {n}")
    many, titles = count_queries()
    assert titles[:2] == ["more 5", "more 4"]
    assert titles[-1] == "first"
    assert many == few <= 3  # count, page, the entries made from them


def test_the_detail_and_files_are_served_to_the_owner(
    as_alice: APIClient, sample_input: Composition
) -> None:
    base = f"{URL}{sample_input.uuid}/"
    assert as_alice.get(base).json()["id"] == str(sample_input.uuid)
    download = as_alice.get(f"{base}midi")
    assert download.status_code == 200
    assert download["Content-Type"] == "audio/midi"
    assert download["Content-Disposition"].startswith('attachment; filename="')
    assert download.content.startswith(b"MThd")
    assert as_alice.get(f"{base}audio").status_code == 404  # not rendered yet
    sample_input.audio.save("a.ogg", ContentFile(b"OggS fake audio bytes"), save=False)
    sample_input.audio_state = AudioState.READY
    sample_input.save()
    audio = as_alice.get(f"{base}audio")
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/ogg"
    assert as_alice.get(base).json()["audio_url"] == f"{base}audio"


# ----- rename, delete ---------------------------------------------------------------------


def test_the_owner_renames_a_composition(as_alice: APIClient, sample_input: Composition) -> None:
    response = as_alice.patch(
        f"{URL}{sample_input.uuid}/", {"title": "  New   name "}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New name"
    sample_input.refresh_from_db()
    assert sample_input.title == "New name"


def test_a_blank_title_is_refused(as_alice: APIClient, sample_input: Composition) -> None:
    response = as_alice.patch(f"{URL}{sample_input.uuid}/", {"title": "   "}, format="json")
    assert response.status_code == 400


def test_deleting_removes_the_row_and_its_files(
    as_alice: APIClient, sample_input: Composition, django_capture_on_commit_callbacks: Any
) -> None:
    path = Path(sample_input.midi.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_alice.delete(f"{URL}{sample_input.uuid}/")
    assert response.status_code == 204
    assert not Composition.objects.filter(pk=sample_input.pk).exists()
    assert not path.exists()


# ----- permissions ---------------------------------------------------------------------------


ROUTES = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("get", "midi"),
    ("get", "audio"),
    ("post", "submit/"),
]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_another_participant_gets_404_on_every_composition_route(
    as_bob: APIClient, sample_input: Composition, method: str, suffix: str
) -> None:
    response = getattr(as_bob, method)(
        f"{URL}{sample_input.uuid}/{suffix}", {"title": "x", "challenge": "y"}, format="json"
    )
    assert response.status_code == 404
    sample_input.refresh_from_db()
    assert sample_input.title != "x"


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_anonymous_users_must_log_in(
    api: APIClient, sample_input: Composition, method: str, suffix: str
) -> None:
    response = getattr(api, method)(f"{URL}{sample_input.uuid}/{suffix}")
    assert response.status_code in (401, 403)
    assert Composition.objects.filter(pk=sample_input.pk).exists()


def test_anonymous_users_cannot_list_or_create(api: APIClient) -> None:
    assert api.get(URL).status_code in (401, 403)
    assert api.post(URL, {"sample": SAMPLE}, format="json").status_code in (401, 403)
    assert not Composition.objects.exists()


def test_a_malformed_id_is_a_404(as_alice: APIClient) -> None:
    assert as_alice.get(f"{URL}not-a-uuid/").status_code == 404


def test_kinds_are_the_documented_ones() -> None:
    assert set(CompositionKind.values) == {"sample", "upload", "recording", "edit", "generated"}
