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

import math
import struct
from dataclasses import dataclass, field
from itertools import starmap

from music.score import DRUM_CHANNEL, Note, Score, Track

MIDI_DEFAULT_MPQN = 500_000  # microseconds per quarter note = 120 bpm
_NO_LIMIT = 1 << 62  # larger than any count or tick position a file can reach


@dataclass(frozen=True, slots=True)
class Limits:
    """What an uploaded file may contain; override any field per challenge."""

    max_bytes: int = 512 * 1024
    max_tracks: int = 16
    max_notes: int = 20_000
    # Every event costs parse time even when it makes no note (controller floods,
    # sysex bombs); 200k is ten times a dense 20k-note performance with pedalling.
    max_events: int = 200_000
    max_seconds: float = 600.0
    min_tempo: float = 20.0
    max_tempo: float = 400.0
    require_pitched_notes: bool = True


class MidiValidationError(Exception):
    """Why a file was refused: ``code`` is a stable slug, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"MidiValidationError({self.code!r}, {self.message!r})"


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
    budget = _Budget.start(limits, resolution)
    parsed = [_parse_track(chunk, budget) for chunk in _track_chunks(data, pos, declared_tracks)]
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
            f"The music lasts {_clock(score.duration_seconds, up=True)}; the limit is "
            f"{_clock(limits.max_seconds)}.",
        )


# ----- errors ------------------------------------------------------------------------


def _clock(seconds: float, up: bool = False) -> str:
    """Seconds as m:ss, the way a participant reads a duration; ``up`` rounds up, so a
    duration just over a limit never reads the same as the limit."""
    whole = math.ceil(seconds) if up else round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _truncated() -> MidiValidationError:
    return MidiValidationError("truncated", "The file ends in the middle of its data.")


def _corrupt(what: str) -> MidiValidationError:
    return MidiValidationError("corrupt", f"The file is damaged: {what}.")


def _too_long(limit_seconds: float) -> MidiValidationError:
    return MidiValidationError(
        "too_long",
        f"The music lasts longer than {_clock(limit_seconds)}; the limit is "
        f"{_clock(limit_seconds)}.",
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
        raise _truncated()
    length, fmt, declared_tracks, division = struct.unpack_from(">IHHH", data, 4)
    if length < 6:
        raise MidiValidationError("bad_header", "The MIDI header is too short.")
    if 8 + length > len(data):
        raise _truncated()
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
            raise _truncated()
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        end = pos + 8 + length
        if end > size:
            raise _truncated()
        if data[pos : pos + 4] == b"MTrk":
            chunks.append(data[pos + 8 : end])
        pos = end
    return chunks


# ----- one track ---------------------------------------------------------------------


@dataclass(slots=True)
class _Budget:
    """Running totals shared by all tracks, so a parse stops as soon as one passes."""

    notes_left: int
    events_left: int
    max_ticks: int
    limits: Limits | None

    @classmethod
    def start(cls, limits: Limits | None, resolution: int) -> _Budget:
        if limits is None:
            return cls(_NO_LIMIT, _NO_LIMIT, _NO_LIMIT, None)
        # No note may sound past this tick: even at the fastest allowed tempo it would
        # end after max_seconds.
        max_ticks = int(limits.max_seconds * limits.max_tempo / 60.0 * resolution)
        return cls(limits.max_notes, limits.max_events, max_ticks, limits)

    def too_many_notes(self) -> MidiValidationError:
        limit = self.limits.max_notes if self.limits else _NO_LIMIT
        return MidiValidationError(
            "too_many_notes", f"The file has more than {limit:,} notes; the limit is {limit:,}."
        )

    def too_many_events(self) -> MidiValidationError:
        limit = self.limits.max_events if self.limits else _NO_LIMIT
        return MidiValidationError(
            "too_many_events",
            f"The file has more than {limit:,} MIDI events; the limit is {limit:,}.",
        )

    def too_long(self) -> MidiValidationError:
        return _too_long(self.limits.max_seconds if self.limits else 0.0)


# (start, pitch, duration, velocity): the field order of Note, so tuples sort like Notes.
_NoteTuple = tuple[int, int, int, int]


@dataclass(slots=True)
class _ParsedTrack:
    """What one MTrk chunk holds that the Score needs."""

    notes: list[list[_NoteTuple]]  # by channel
    programs: dict[int, int] = field(default_factory=dict)  # channel -> program
    name: str | None = None
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds/quarter)
    time_signature: tuple[int, int, int] | None = None  # (tick, numerator, denominator)


def _parse_track(chunk: bytes, budget: _Budget) -> _ParsedTrack:
    """Walk one track's events. This loop is the hot path, hence one flat function."""
    track = _ParsedTrack(notes=[[] for _ in range(16)])
    notes = track.notes
    programs = track.programs
    sounding: dict[int, list[tuple[int, int]]] = {}  # channel << 7 | pitch -> [(start, vel)]
    notes_left = budget.notes_left
    max_ticks = budget.max_ticks
    size = len(chunk)
    pos = 0
    tick = 0
    status = 0  # running status; 0 until a channel message sets it
    events_left = budget.events_left
    try:
        while pos < size:
            # Delta time: a variable-length quantity of at most four bytes.
            byte = chunk[pos]
            pos += 1
            if byte & 0x80:
                delta = byte & 0x7F
                for _ in range(3):
                    byte = chunk[pos]
                    pos += 1
                    delta = (delta << 7) | (byte & 0x7F)
                    if not byte & 0x80:
                        break
                else:
                    raise _corrupt("a delta time runs past four bytes")
                tick += delta
            else:
                tick += byte
            events_left -= 1
            if events_left < 0:
                raise budget.too_many_events()
            byte = chunk[pos]
            if byte & 0x80:
                pos += 1
                if byte >= 0xF0:
                    pos = _system_event(chunk, pos, byte, tick, track)
                    if pos < 0:  # end of track
                        break
                    continue
                status = byte
                data1 = chunk[pos]
            elif status:
                data1 = byte
            else:
                raise _corrupt("a running-status event comes before any status byte")
            pos += 1
            if data1 & 0x80:
                raise _corrupt("a status byte appears where a data byte belongs")
            kind = status & 0xF0
            if kind == 0x90 or kind == 0x80:
                velocity = chunk[pos]
                pos += 1
                if velocity & 0x80:
                    raise _corrupt("a status byte appears where a data byte belongs")
                if tick > max_ticks:
                    raise budget.too_long()
                key = (status & 0x0F) << 7 | data1
                if kind == 0x90 and velocity:
                    notes_left -= 1
                    if notes_left < 0:
                        raise budget.too_many_notes()
                    queue = sounding.get(key)
                    if queue is None:
                        sounding[key] = [(tick, velocity)]
                    else:
                        queue.append((tick, velocity))
                else:
                    queue = sounding.get(key)
                    if queue:
                        start, on_velocity = queue.pop(0)  # FIFO: the oldest note ends
                        if tick > start:
                            notes[status & 0x0F].append((start, data1, tick - start, on_velocity))
            elif kind == 0xC0:
                channel = status & 0x0F
                # Before a channel's first note the latest change wins; after it, only
                # the first one counts (we keep one program per part). Program changes
                # are rare, so the scan of sounding notes costs nothing in practice.
                started = notes[channel] or any(k >> 7 == channel for k in sounding)
                if not started or channel not in programs:
                    programs[channel] = data1
            elif kind != 0xD0:  # every other channel message has a second data byte
                if chunk[pos] & 0x80:
                    raise _corrupt("a status byte appears where a data byte belongs")
                pos += 1
    except IndexError:
        raise _truncated() from None
    budget.events_left = events_left
    budget.notes_left = notes_left
    _end_sounding_notes(sounding, tick, notes, budget)
    return track


def _end_sounding_notes(
    sounding: dict[int, list[tuple[int, int]]],
    end_tick: int,
    notes: list[list[_NoteTuple]],
    budget: _Budget,
) -> None:
    """Notes still on at the end of the track end there."""
    for key, queue in sounding.items():
        for start, velocity in queue:
            if end_tick > start:
                if end_tick > budget.max_ticks:
                    raise budget.too_long()
                notes[key >> 7].append((start, key & 0x7F, end_tick - start, velocity))


def _read_vlq(chunk: bytes, pos: int) -> tuple[int, int]:
    """Decode a variable-length quantity (at most four bytes); return (value, next pos)."""
    value = 0
    for _ in range(4):
        byte = chunk[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise _corrupt("a length runs past four bytes")


def _system_event(chunk: bytes, pos: int, status: int, tick: int, track: _ParsedTrack) -> int:
    """Read a meta or sysex event after its status byte; return the next position, or -1
    at the end of the track. Running status is left alone, as most readers do."""
    if status == 0xFF:
        meta_type = chunk[pos]
        length, pos = _read_vlq(chunk, pos + 1)
        end = pos + length
        if end > len(chunk):
            raise _truncated()
        if meta_type == 0x2F:
            return -1
        if meta_type == 0x51:
            track.tempos.append((tick, _tempo(chunk[pos:end])))
        elif meta_type == 0x58 and track.time_signature is None:
            track.time_signature = (tick, *_time_signature(chunk[pos:end]))
        elif meta_type == 0x03 and track.name is None:
            track.name = _text(chunk[pos:end])
        return end
    if status == 0xF0 or status == 0xF7:
        length, pos = _read_vlq(chunk, pos)
        if pos + length > len(chunk):
            raise _truncated()
        return pos + length
    raise _corrupt(f"the status byte 0x{status:X} is not allowed in a MIDI file")


def _tempo(payload: bytes) -> int:
    if len(payload) != 3:
        raise _corrupt("a tempo event has the wrong length")
    mpqn = int.from_bytes(payload, "big")
    if mpqn == 0:
        raise MidiValidationError(
            "bad_tempo", "The file sets a tempo of zero microseconds per beat."
        )
    return mpqn


def _time_signature(payload: bytes) -> tuple[int, int]:
    if len(payload) < 2:
        raise _corrupt("a time signature event is too short")
    numerator, power = payload[0], payload[1]
    if numerator == 0 or power > 6:  # 6: sixty-fourth notes, the shortest in use
        raise MidiValidationError(
            "bad_time_signature",
            f"The time signature {numerator}/{1 << min(power, 62)} is not valid.",
        )
    return numerator, 1 << power


def _text(payload: bytes) -> str:
    """MIDI text has no declared encoding: UTF-8 (what we write) when it decodes."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


# ----- tracks to Score ---------------------------------------------------------------


def _assemble(parsed: list[_ParsedTrack], fmt: int, resolution: int) -> Score:
    """Turn the parsed tracks into one Score (the rules are in the module docstring)."""
    first_programs = _first_programs(parsed)
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


def _tempo_at(parsed: list[_ParsedTrack], tick: int) -> int:
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


def _first_programs(parsed: list[_ParsedTrack]) -> dict[int, int]:
    """Each channel's first program anywhere in the file, for parts without their own."""
    programs: dict[int, int] = {}
    for track in parsed:
        for channel, program in track.programs.items():
            programs.setdefault(channel, program)
    return programs


def _parts(track: _ParsedTrack, first_programs: dict[int, int], keep_empty: bool) -> list[Track]:
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
