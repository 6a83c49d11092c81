"""Validating Standard MIDI File reader: untrusted bytes in, a Score or a clear error out.

Uploads are hostile until proven otherwise, so this parser never trusts a number in the
file: the size is checked first, header counts are compared with limits but never used
to allocate, every chunk length is checked against the bytes that are really there, and
running totals (notes, events, tick position) stop the parse as soon as they pass a
limit. For ANY input the only outcomes are a :class:`Score` or a
:class:`MidiValidationError` whose ``message`` a participant can act on.

The parser is hand-written over ``bytes`` because mido builds an object per event: muspy
and pretty_midi (both on mido) read about seven times slower (bench/bench_midi.py).
``music.midi_io.score_from_midi`` uses this parser too.

How a file becomes a Score:

* Type 0 and type 1 files are read; type 2 (independent sequences) is rejected.
* Each MIDI track gives one Score track per channel that plays notes (channel 10, index
  9, is the drum kit). A track with a program change but no notes gives an empty Score
  track, so empty parts survive a round trip. A type-1 file's first track, when it holds
  no notes, is the conductor track: its name becomes the Score's title, and program
  changes there (some sequencers put their setup in it) only serve as fallbacks.
* Note-on with velocity 0 is a note-off. Overlapping notes of one pitch on one channel
  are paired first-in first-out; zero-length notes are dropped; notes still sounding at
  the end of the track end there.
* The sustain pedal (controller 64, down at 64 and above) is played out: a note let go
  while its channel's pedal is down lasts until the pedal comes up, or until its own
  pitch is struck again (``music.midi_track.sustained``), so a pianist's recording reads
  (and sounds) legato as it was heard, not as the fingers left the keys.
* The tempo in effect when the first note starts is kept (a file may open with a setup
  tempo and change it before the music begins), and the first time signature (earliest
  tick; the earlier track wins a tie); later changes are ignored (see ``music.score``).
  Defaults are the MIDI defaults, 120 bpm and 4/4.
* The program of a part is the last program change before its first note (or the first
  one after it); a part without one falls back to its channel's first program anywhere
  in the file, then to 0 (piano).
* The file's ticks per beat become the Score's resolution.
"""

from __future__ import annotations

import struct
from itertools import starmap

from music.midi_limits import (
    MIDI_DEFAULT_MPQN,
    Limits,
    MidiValidationError,
    clock,
    truncated,
)
from music.midi_track import Budget, ParsedTrack, parse_track, sustained
from music.score import DRUM_CHANNEL, Note, Score, Track

__all__ = ["Limits", "MidiValidationError", "check_score", "parse_midi", "validate_midi"]

# ----- public entry points -----------------------------------------------------------


def validate_midi(data: bytes, limits: Limits | None = None) -> Score:
    """Parse untrusted MIDI bytes and check them against ``limits`` (defaults if None)."""
    limits = Limits() if limits is None else limits
    score = parse_midi(data, limits)
    check_score(score, limits)
    return score


def parse_midi(data: bytes, limits: Limits | None = None) -> Score:
    """Parse MIDI bytes into a Score, enforcing ``limits``' size and count caps on the way.

    Content rules that need the whole file (tempo range, pitched notes, duration in
    seconds) are :func:`check_score`'s job. With ``limits=None`` only the structure is
    checked, for trusted files such as corpora and our own output.
    """
    data = bytes(data)  # indexing bytes is the fastest way to walk them in CPython
    _check_size(data, limits)
    data = _unwrap_riff(data)
    fmt, declared_tracks, resolution, pos = _read_header(data, limits)
    budget = Budget.start(limits, resolution)
    parsed = [parse_track(chunk, budget) for chunk in _track_chunks(data, pos, declared_tracks)]
    return _assemble(parsed, fmt, resolution)


def check_score(score: Score, limits: Limits) -> None:
    """Raise MidiValidationError if a parsed Score breaks a whole-file rule of ``limits``."""
    if len(score.tracks) > limits.max_tracks:
        raise MidiValidationError(
            "too_many_tracks",
            f"The file has {len(score.tracks)} instrument parts; the limit is {limits.max_tracks}.",
        )
    if score.note_count == 0:
        raise MidiValidationError("empty", "The file contains no notes.")
    if limits.require_pitched_notes and not any(t.notes for t in score.pitched_tracks()):
        raise MidiValidationError(
            "no_pitched_notes", "The file has only drums; it needs at least one pitched note."
        )
    if not limits.min_tempo <= score.tempo <= limits.max_tempo:
        raise MidiValidationError(
            "bad_tempo",
            f"The tempo is {score.tempo:.4g} bpm; it must be between "
            f"{limits.min_tempo:g} and {limits.max_tempo:g} bpm.",
        )
    if score.duration_seconds > limits.max_seconds:
        raise MidiValidationError(
            "too_long",
            f"The music lasts {clock(score.duration_seconds, up=True)}; the limit is "
            f"{clock(limits.max_seconds)}.",
        )


# ----- header and chunks -------------------------------------------------------------


def _check_size(data: bytes, limits: Limits | None) -> None:
    if not data:
        raise MidiValidationError("empty", "The file is empty.")
    if limits is not None and len(data) > limits.max_bytes:
        raise MidiValidationError(
            "too_large",
            f"The file is {len(data) / 1024:.0f} KB; "
            f"the limit is {limits.max_bytes / 1024:.0f} KB.",
        )


def _unwrap_riff(data: bytes) -> bytes:
    """Return the MIDI file inside a RIFF 'RMID' wrapper, or ``data`` unchanged."""
    if data[:4] != b"RIFF" or data[8:12] != b"RMID":
        return data
    pos = 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if data[pos : pos + 4] == b"data":
            return data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)  # RIFF chunks are padded to even sizes
    raise MidiValidationError("not_midi", "The RMID file holds no MIDI data.")


def _read_header(data: bytes, limits: Limits | None) -> tuple[int, int, int, int]:
    """Check the MThd chunk; return (format, declared tracks, ticks per beat, next pos)."""
    if data[:4] != b"MThd":
        raise MidiValidationError("not_midi", "This is not a MIDI file.")
    if len(data) < 14:
        raise truncated()
    length, fmt, declared_tracks, division = struct.unpack_from(">IHHH", data, 4)
    if length < 6:
        raise MidiValidationError("bad_header", "The MIDI header is too short.")
    if 8 + length > len(data):
        raise truncated()
    if fmt == 2:
        raise MidiValidationError(
            "unsupported_format", "Type 2 MIDI files are not supported; use type 0 or 1."
        )
    if fmt > 2:
        raise MidiValidationError("bad_header", f"The MIDI header names an unknown type ({fmt}).")
    if division & 0x8000:
        raise MidiValidationError(
            "smpte_timing",
            "The file counts time in SMPTE frames; only files in ticks per beat are supported.",
        )
    if division == 0:
        raise MidiValidationError("bad_header", "The MIDI header gives 0 ticks per beat.")
    if declared_tracks == 0:
        raise MidiValidationError("empty", "The file has no tracks.")
    # A type-1 file spends one track on tempo and meter, so allow one more than the parts.
    if limits is not None and declared_tracks > limits.max_tracks + 1:
        raise MidiValidationError(
            "too_many_tracks",
            f"The file has {declared_tracks} tracks; the limit is {limits.max_tracks}.",
        )
    return fmt, declared_tracks, division, 8 + length


def _track_chunks(data: bytes, pos: int, declared_tracks: int) -> list[bytes]:
    """The bodies of the first ``declared_tracks`` MTrk chunks; other chunks are skipped."""
    chunks: list[bytes] = []
    size = len(data)
    while len(chunks) < declared_tracks:
        if pos + 8 > size:
            raise truncated()
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        end = pos + 8 + length
        if end > size:
            raise truncated()
        if data[pos : pos + 4] == b"MTrk":
            chunks.append(data[pos + 8 : end])
        pos = end
    return chunks


# ----- tracks to Score ---------------------------------------------------------------


def _assemble(parsed: list[ParsedTrack], fmt: int, resolution: int) -> Score:
    """Turn the parsed tracks into one Score (the rules are in the module docstring)."""
    first_programs = _first_programs(parsed)
    for channel in range(16):  # the pedal may sit in another track of a type-1 file
        pedal = [event for track in parsed for event in track.pedals[channel]]
        if pedal:
            for track in parsed:
                if track.notes[channel]:
                    track.notes[channel] = sustained(track.notes[channel], pedal)
    tracks: list[Track] = []
    title = ""
    for index, track in enumerate(parsed):
        conductor = index == 0 and fmt == 1
        parts = _parts(track, first_programs, keep_empty=not conductor)
        if conductor and not parts:
            title = track.name or ""
        tracks.extend(parts)
    # Earliest tick first, then the earlier track: (tick, track index, value...).
    signatures = [(s[0], i, s[1], s[2]) for i, t in enumerate(parsed) if (s := t.time_signature)]
    first_note = min((n.start for t in tracks for n in t.notes), default=0)
    mpqn = _tempo_at(parsed, first_note)
    time_signature = min(signatures)[2:] if signatures else (4, 4)
    if resolution * 4 * time_signature[0] < time_signature[1]:
        raise MidiValidationError(
            "bad_time_signature", "The time signature is shorter than one tick per bar."
        )
    return Score(
        tracks=tracks,
        resolution=resolution,
        tempo=60_000_000 / mpqn,
        time_signature=(time_signature[0], time_signature[1]),
        title=title,
    )


def _tempo_at(parsed: list[ParsedTrack], tick: int) -> int:
    """The tempo in effect at ``tick``: the last change at or before it (the earlier track
    wins a tie), else the earliest change, else the MIDI default."""
    tempos = sorted((t, i, mpqn) for i, track in enumerate(parsed) for t, mpqn in track.tempos)
    if not tempos:
        return MIDI_DEFAULT_MPQN
    before = [entry for entry in tempos if entry[0] <= tick]
    if not before:
        return tempos[0][2]
    last_tick = before[-1][0]
    return next(entry for entry in before if entry[0] == last_tick)[2]


def _first_programs(parsed: list[ParsedTrack]) -> dict[int, int]:
    """Each channel's first program anywhere in the file, for parts without their own."""
    programs: dict[int, int] = {}
    for track in parsed:
        for channel, program in track.programs.items():
            programs.setdefault(channel, program)
    return programs


def _parts(track: ParsedTrack, first_programs: dict[int, int], keep_empty: bool) -> list[Track]:
    """One Score track per channel with notes; with ``keep_empty``, an empty one for a
    track that sets a program but plays nothing."""
    name = track.name or ""
    parts = []
    for channel, tuples in enumerate(track.notes):
        if tuples:
            tuples.sort()
            parts.append(
                Track(
                    notes=list(starmap(Note, tuples)),
                    program=track.programs.get(channel, first_programs.get(channel, 0)),
                    is_drum=channel == DRUM_CHANNEL,
                    name=name,
                )
            )
    if keep_empty and not parts and track.programs:
        channel = min(track.programs)
        parts.append(
            Track(program=track.programs[channel], is_drum=channel == DRUM_CHANNEL, name=name)
        )
    return parts
