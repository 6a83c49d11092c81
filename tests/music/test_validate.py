"""Validation of uploaded MIDI: every refusal has a code and a message, and no input
bytes whatsoever lead to anything but a Score or a MidiValidationError."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from music.validate import Limits, MidiValidationError, validate_midi
from tests.music.conftest import (
    END_OF_TRACK,
    chunk,
    deepcomposer_files,
    header,
    melody_track,
    off,
    on,
    smf,
    tempo_event,
    vlq,
)


def refusal(data: bytes, limits: Limits | None = None) -> MidiValidationError:
    with pytest.raises(MidiValidationError) as caught:
        validate_midi(data, limits)
    return caught.value


def test_it_accepts_a_plain_melody() -> None:
    score = validate_midi(smf(tempo_event(100) + END_OF_TRACK, melody_track()))
    assert score.note_count == 4
    assert score.tempo == pytest.approx(100)


def test_limits_can_be_overridden_per_field() -> None:
    limits = Limits(max_tracks=2)
    assert (limits.max_tracks, limits.max_notes) == (2, Limits().max_notes)


# ----- one crafted file per refusal code ---------------------------------------------


def test_it_rejects_a_zero_byte_file() -> None:
    error = refusal(b"")
    assert (error.code, error.message) == ("empty", "The file is empty.")


def test_it_rejects_a_file_without_notes() -> None:
    error = refusal(smf(tempo_event(100) + END_OF_TRACK))
    assert (error.code, error.message) == ("empty", "The file contains no notes.")


def test_it_rejects_a_header_with_no_tracks() -> None:
    assert refusal(header(tracks=0)).code == "empty"


def test_it_rejects_a_file_over_the_size_limit() -> None:
    error = refusal(smf(melody_track()) + bytes(600 * 1024))
    assert error.code == "too_large"
    assert error.message == "The file is 600 KB; the limit is 512 KB."


def test_it_rejects_a_file_that_is_not_midi() -> None:
    error = refusal(b"ID3\x03\x00 this is an mp3")
    assert (error.code, error.message) == ("not_midi", "This is not a MIDI file.")


def test_it_rejects_a_file_cut_off_in_the_middle() -> None:
    data = smf(melody_track(8))
    error = refusal(data[: len(data) - 7])
    assert (error.code, error.message) == ("truncated", "The file ends in the middle of its data.")


def test_it_rejects_a_file_cut_off_inside_the_header() -> None:
    assert refusal(b"MThd\x00\x00\x00\x06\x00").code == "truncated"


def test_it_rejects_a_track_that_ends_inside_an_event() -> None:
    assert refusal(smf(on(60) + vlq(10) + b"\x80\x3c")).code == "truncated"


def test_it_rejects_a_header_shorter_than_six_bytes() -> None:
    assert refusal(header(length=4) + chunk(b"MTrk", melody_track())).code == "bad_header"


def test_it_rejects_an_unknown_file_type() -> None:
    error = refusal(header(fmt=7) + chunk(b"MTrk", melody_track()))
    assert (error.code, error.message) == (
        "bad_header",
        "The MIDI header names an unknown type (7).",
    )


def test_it_rejects_zero_ticks_per_beat() -> None:
    assert refusal(smf(melody_track(), division=0)).code == "bad_header"


def test_it_rejects_a_type_2_file() -> None:
    error = refusal(smf(melody_track(), fmt=2))
    assert error.code == "unsupported_format"
    assert "type 0 or 1" in error.message


def test_it_rejects_smpte_timing() -> None:
    error = refusal(smf(melody_track(), division=0xE728))  # -25 fps, 40 ticks per frame
    assert error.code == "smpte_timing"
    assert "SMPTE" in error.message


def test_it_rejects_a_file_with_too_many_tracks() -> None:
    error = refusal(smf(*(melody_track() for _ in range(23))))
    assert (error.code, error.message) == (
        "too_many_tracks",
        "The file has 23 tracks; the limit is 16.",
    )


def test_it_allows_a_conductor_track_beside_the_maximum_number_of_parts() -> None:
    conductor = tempo_event(120) + END_OF_TRACK
    assert len(validate_midi(smf(conductor, *(melody_track() for _ in range(16)))).tracks) == 16


def test_it_rejects_too_many_parts_in_one_track() -> None:
    body = b"".join(on(60, channel=c) for c in range(3)) + vlq(10) + b"\xff\x2f\x00"
    error = refusal(smf(body, fmt=0), Limits(max_tracks=2))
    assert (error.code, error.message) == (
        "too_many_tracks",
        "The file has 3 instrument parts; the limit is 2.",
    )


def test_it_rejects_a_file_with_too_many_notes() -> None:
    error = refusal(smf(melody_track(11)), Limits(max_notes=10))
    assert (error.code, error.message) == (
        "too_many_notes",
        "The file has more than 10 notes; the limit is 10.",
    )


def test_it_rejects_a_file_with_too_many_events() -> None:
    controllers = b"".join(vlq(0) + b"\xb0\x07\x64" for _ in range(50))
    error = refusal(smf(controllers + melody_track()), Limits(max_events=40))
    assert error.code == "too_many_events"
    assert error.message == "The file has more than 40 MIDI events; the limit is 40."


def test_it_rejects_music_longer_than_the_limit() -> None:
    # Two notes of 40 beats at 60 bpm: 80 seconds against a 60-second limit.
    body = on(60) + off(60, delta=40 * 480) + on(62) + off(62, delta=40 * 480) + END_OF_TRACK
    error = refusal(smf(tempo_event(60) + END_OF_TRACK, body), Limits(max_seconds=60))
    assert (error.code, error.message) == ("too_long", "The music lasts 1:20; the limit is 1:00.")


def test_it_never_reports_a_duration_just_over_the_limit_as_the_limit() -> None:
    body = on(60) + off(60, delta=60 * 480 + 1) + END_OF_TRACK  # 60 s and a tick at 60 bpm
    error = refusal(smf(tempo_event(60) + END_OF_TRACK, body), Limits(max_seconds=60))
    assert error.message == "The music lasts 1:01; the limit is 1:00."


def test_it_rejects_a_tempo_below_the_limit() -> None:
    error = refusal(smf(tempo_event(10) + END_OF_TRACK, melody_track()))
    assert (error.code, error.message) == (
        "bad_tempo",
        "The tempo is 10 bpm; it must be between 20 and 400 bpm.",
    )


def test_it_rejects_a_tempo_above_the_limit() -> None:
    assert refusal(smf(tempo_event(500) + END_OF_TRACK, melody_track())).code == "bad_tempo"


def test_it_rejects_a_tempo_of_zero_microseconds_per_beat() -> None:
    conductor = vlq(0) + b"\xff\x51\x03\x00\x00\x00" + END_OF_TRACK
    assert refusal(smf(conductor, melody_track())).code == "bad_tempo"


def test_it_rejects_a_time_signature_of_zero_beats() -> None:
    conductor = vlq(0) + b"\xff\x58\x04\x00\x02\x18\x08" + END_OF_TRACK
    error = refusal(smf(conductor, melody_track()))
    assert (error.code, error.message) == (
        "bad_time_signature",
        "The time signature 0/4 is not valid.",
    )


def test_it_rejects_drums_without_pitched_notes() -> None:
    error = refusal(smf(melody_track(channel=9)))
    assert error.code == "no_pitched_notes"
    assert error.message == "The file has only drums; it needs at least one pitched note."


def test_it_accepts_drums_only_when_the_challenge_allows_it() -> None:
    score = validate_midi(smf(melody_track(channel=9)), Limits(require_pitched_notes=False))
    assert score.tracks[0].is_drum


def test_it_rejects_a_status_byte_where_a_data_byte_belongs() -> None:
    error = refusal(smf(vlq(0) + b"\x90\x3c\x90" + END_OF_TRACK))
    assert error.code == "corrupt"
    assert error.message == "The file is damaged: a status byte appears where a data byte belongs."


def test_it_rejects_system_realtime_bytes_inside_a_track() -> None:
    assert refusal(smf(vlq(0) + b"\xf8" + melody_track())).code == "corrupt"


# ----- hostile files -----------------------------------------------------------------


def test_it_rejects_a_header_claiming_65535_tracks() -> None:
    assert refusal(header(tracks=65535) + chunk(b"MTrk", melody_track())).code == "too_many_tracks"


def test_it_rejects_a_header_claiming_more_tracks_than_the_file_holds() -> None:
    assert refusal(header(tracks=3) + chunk(b"MTrk", melody_track())).code == "truncated"


def test_it_rejects_a_chunk_claiming_two_gigabytes_without_allocating_them() -> None:
    data = header() + chunk(b"MTrk", melody_track(), length=2**31)
    tracemalloc.start()
    try:
        error = refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "truncated"
    assert peak < 1024 * 1024


def test_it_rejects_a_header_chunk_claiming_two_gigabytes() -> None:
    assert refusal(header(length=2**31) + chunk(b"MTrk", melody_track())).code == "truncated"


def test_it_rejects_a_delta_time_with_endless_continuation_bytes() -> None:
    error = refusal(smf(b"\xff" * 1000 + melody_track()))
    assert error.code == "corrupt"
    assert "four bytes" in error.message


def test_it_rejects_running_status_with_no_previous_status() -> None:
    error = refusal(smf(vlq(0) + b"\x3c\x40" + melody_track()))
    assert error.code == "corrupt"
    assert "running-status" in error.message


def test_it_rejects_huge_tick_positions_as_too_long() -> None:
    # Four empty text events, each after the longest delta time a file can hold.
    wait = b"".join(vlq(0x0FFFFFFF) + b"\xff\x01\x00" for _ in range(4))
    error = refusal(smf(wait + on(60) + off(60, delta=1) + END_OF_TRACK))
    assert error.code == "too_long"


def test_it_rejects_a_note_that_starts_beyond_the_time_limit() -> None:
    body = on(60, delta=0x0FFFFFFF) + off(60, delta=10) + END_OF_TRACK
    assert refusal(smf(body)).code == "too_long"


def test_it_rejects_a_hanging_note_ended_by_a_far_away_end_of_track() -> None:
    body = on(60) + vlq(0x0FFFFFFF) + b"\xff\x2f\x00"
    assert refusal(smf(body)).code == "too_long"


def test_it_rejects_a_sysex_claiming_more_bytes_than_the_track_holds() -> None:
    bomb = vlq(0) + b"\xf0" + vlq(0x0FFFFFFF) + b"\x7e\x7f"
    assert refusal(smf(bomb + melody_track())).code == "truncated"


def test_it_rejects_a_flood_of_sysex_events() -> None:
    flood = (vlq(0) + b"\xf0\x03\x7e\x7f\xf7") * 300_000
    assert refusal(smf(flood + melody_track()), Limits(max_bytes=4 << 20)).code == (
        "too_many_events"
    )


def test_it_rejects_a_meta_event_longer_than_its_track() -> None:
    assert refusal(smf(vlq(0) + b"\xff\x01" + vlq(5000) + b"abc")).code == "truncated"


# ----- property: any bytes give a Score or a MidiValidationError ---------------------


def valid_score(score: Score) -> bool:
    """What every Score that validation lets through must satisfy."""
    return (
        score.resolution >= 1
        and score.tempo > 0
        and score.ticks_per_bar >= 1
        and all(
            0 <= n.pitch <= 127 and 1 <= n.velocity <= 127 and n.start >= 0 and n.duration > 0
            for t in score.tracks
            for n in t.notes
        )
        and all(t.notes == sorted(t.notes) for t in score.tracks)
    )


def outcome(data: bytes, limits: Limits | None = None) -> str:
    """The error code, or 'ok' after checking the Score; anything else propagates."""
    try:
        score = validate_midi(data, limits)
    except MidiValidationError as error:
        refused = error
    else:
        assert valid_score(score)
        return "ok"
    assert refused.code
    assert refused.message
    return refused.code


def seeds() -> list[bytes]:
    """Valid files to mutate: our writer's output and DeepComposer's samples."""
    score = Score(
        [
            Track([Note(0, 60, 480, 90), Note(240, 60, 480), Note(480, 64, 240)], program=5),
            Track([Note(0, 36, 120), Note(480, 38, 120)], is_drum=True, name="kit"),
        ],
        title="seed",
    )
    running = smf(
        tempo_event(90) + vlq(0) + b"\xff\x58\x04\x03\x02\x18\x08" + END_OF_TRACK,
        vlq(0)
        + b"\x90\x3c\x50"
        + vlq(10)
        + b"\x3c\x00"
        + vlq(0)
        + b"\x3e\x50"
        + vlq(5)
        + b"\x3e\x00"
        + END_OF_TRACK,
    )
    return [score_to_midi(score), running] + [p.read_bytes() for p in deepcomposer_files()[:3]]


SEEDS = seeds()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_give_a_score_or_a_validation_error(data: bytes) -> None:
    outcome(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 2), st.integers(0, 3), st.integers(1, 600))
def test_random_track_bodies_behind_a_valid_header_give_a_score_or_an_error(
    body: bytes, fmt: int, tracks: int, division: int
) -> None:
    outcome(header(fmt, tracks, division) + chunk(b"MTrk", body))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file with bit flips, a cut, inserted or deleted bytes, or a lying length."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "length", "byte"]))
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[where] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[where:]
        elif kind == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[where : where + draw(st.integers(1, 8))]
        elif kind == "length":
            starts = [i for i in range(len(data) - 3) if data[i : i + 4] in (b"MTrk", b"MThd")]
            if starts:
                at = draw(st.sampled_from(starts)) + 4
                length = draw(st.sampled_from([0, 1, 5, 2**16, 2**31, 2**32 - 1]))
                data[at : at + 4] = length.to_bytes(4, "big")
    return bytes(data)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_valid_files_give_a_score_or_a_validation_error(data: bytes) -> None:
    outcome(data)


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_mutated_files_read_without_limits_give_a_score_or_an_error(data: bytes) -> None:
    from music.midi_io import score_from_midi

    try:
        score = score_from_midi(data)
    except MidiValidationError:
        return
    assert valid_score(score)


def test_every_seed_file_is_valid() -> None:
    assert all(outcome(seed) == "ok" for seed in SEEDS)


def pedal(down: bool, delta: int = 0, channel: int = 0) -> bytes:
    return vlq(delta) + bytes((0xB0 | channel, 64, 127 if down else 0))


def test_notes_let_go_under_the_sustain_pedal_sound_until_it_comes_up() -> None:
    # C and E struck a beat apart, each let go after an eighth, the pedal down from the
    # start to tick 1200: both sound until the pedal lifts. G, after it, is as played.
    body = (
        pedal(True)
        + on(60)
        + off(60, delta=240)
        + on(64, delta=240)
        + off(64, delta=240)
        + pedal(False, delta=480)
        + on(67, delta=240)
        + off(67, delta=240)
        + END_OF_TRACK
    )
    notes = validate_midi(smf(body)).tracks[0].notes
    assert [(n.start, n.pitch, n.duration) for n in notes] == [
        (0, 60, 1200),
        (480, 64, 720),
        (1440, 67, 240),
    ]


def test_a_key_struck_again_under_the_pedal_ends_the_note_before() -> None:
    body = (
        pedal(True)
        + on(60)
        + off(60, delta=120)
        + on(60, delta=360)
        + off(60, delta=120)
        + pedal(False, delta=1000)
        + END_OF_TRACK
    )
    notes = validate_midi(smf(body)).tracks[0].notes
    assert [(n.start, n.duration) for n in notes] == [(0, 480), (480, 1120)]


def test_the_pedal_in_another_track_holds_its_channel_only() -> None:
    # A type-1 file whose conductor track holds the pedal of channel 0; channel 1 plays
    # the same notes without it.
    conductor = pedal(True) + pedal(False, delta=1920) + END_OF_TRACK
    piano = on(60) + off(60, delta=240) + END_OF_TRACK
    other = on(60, channel=1) + off(60, delta=240, channel=1) + END_OF_TRACK
    score = validate_midi(smf(conductor, piano, other))
    assert [t.notes[0].duration for t in score.tracks if t.notes] == [1920, 240]


def test_a_pedal_never_lifted_holds_notes_to_the_last_note_s_end() -> None:
    body = pedal(True) + on(60) + off(60, delta=100) + on(62, delta=380) + off(62, delta=480)
    notes = validate_midi(smf(body + END_OF_TRACK)).tracks[0].notes
    assert [(n.start, n.duration) for n in notes] == [(0, 960), (480, 480)]


def test_a_half_pedal_below_64_and_other_controllers_change_nothing() -> None:
    half = vlq(0) + bytes((0xB0, 64, 63))
    volume = vlq(0) + bytes((0xB0, 7, 127))
    body = half + volume + on(60) + off(60, delta=240) + on(62, delta=240) + off(62, delta=240)
    notes = validate_midi(smf(body + END_OF_TRACK)).tracks[0].notes
    assert [(n.start, n.duration) for n in notes] == [(0, 240), (480, 240)]
