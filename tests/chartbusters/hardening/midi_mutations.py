"""Hostile MIDI files: real sample files mutated the ways attackers and broken tools do.

Used by the fuzz test (a few hundred files, derandomized) and by ``bench/bench_fuzz.py``
(tens of thousands). Every mutation is a function ``(rng, data) -> bytes`` named after
what it does; ``hostile_files`` stacks one to three of them on a real sample file.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SAMPLES_DIR = REPO / "music" / "samples"
Mutation = Callable[[random.Random, bytes], bytes]


def sample_files(extra_dirs: tuple[Path, ...] = ()) -> list[bytes]:
    """The real files to mutate: the bundled sample melodies (and any extra folders)."""
    paths = sorted(SAMPLES_DIR.glob("*.mid"))
    for folder in extra_dirs:
        paths += sorted(folder.glob("*.mid"))
    return [path.read_bytes() for path in paths]


# ----- structure: header and chunks, read loosely -----------------------------------------


def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity (any size: hostile files overflow the 4-byte rule)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def split_chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    """The 14-byte header and the track bodies of a valid file."""
    header, tracks, pos = data[:14], [], 14
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        tracks.append(data[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return header, tracks


def join_chunks(header: bytes, tracks: list[bytes], count: int | None = None) -> bytes:
    fmt, _, division = struct.unpack(">HHH", header[8:14])
    ntracks = len(tracks) if count is None else count
    head = b"MThd" + struct.pack(">IHHH", 6, fmt, ntracks & 0xFFFF, division)
    return head + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def _with_track_prefix(data: bytes, events: bytes) -> bytes:
    """Insert ``events`` at the start of the first track (before any status is set)."""
    header, tracks = split_chunks(data)
    if len(header) < 14 or not tracks:
        return data + events
    tracks[0] = events + tracks[0]
    return join_chunks(header, tracks)


# ----- mutations ------------------------------------------------------------------------


def bit_flips(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        where = rng.randrange(len(out))
        out[where] ^= 1 << rng.randrange(8)
    return bytes(out)


def byte_stomps(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        out[rng.randrange(len(out))] = rng.choice([0x00, 0x7F, 0x80, 0xF0, 0xF7, 0xFF])
    return bytes(out)


def truncation(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def garbage_splice(rng: random.Random, data: bytes) -> bytes:
    where = rng.randrange(len(data))
    return data[:where] + rng.randbytes(rng.randint(1, 64)) + data[where:]


def huge_chunk_length(rng: random.Random, data: bytes) -> bytes:
    """A header or track chunk that claims far more bytes than the file holds."""
    starts = [i for i in range(len(data) - 7) if data[i : i + 4] in (b"MThd", b"MTrk")]
    if not starts:
        return data
    at = rng.choice(starts) + 4
    length = rng.choice([2**31 - 1, 2**32 - 1, len(data) * 1000, 2**24, 0])
    return data[:at] + struct.pack(">I", length) + data[at + 4 :]


def absurd_header(rng: random.Random, data: bytes) -> bytes:
    """Format, track count or division that no real file has."""
    if len(data) < 14:
        return data
    field = rng.choice(["format", "tracks", "division"])
    value = {
        "format": rng.choice([2, 3, 0x7FFF, 0xFFFF]),
        "tracks": rng.choice([0, 255, 4096, 0xFFFF]),
        "division": rng.choice([0, 1, 0x7FFF, 0x8000 | 0x1928, 0xE250, 0xFFFF]),
    }[field]
    at = {"format": 8, "tracks": 10, "division": 12}[field]
    return data[:at] + struct.pack(">H", value) + data[at + 2 :]


def many_tracks(rng: random.Random, data: bytes) -> bytes:
    """The same track repeated up to a thousand times, the header agreeing or not."""
    header, tracks = split_chunks(data)
    if len(header) < 14:
        return data
    copies = rng.choice([17, 64, 1000])
    tracks = [t[:4096] for t in tracks]  # (cut) so a thousand copies stay a few megabytes
    repeated = (tracks or [b"\x00\xff\x2f\x00"]) * copies
    return join_chunks(header, repeated[:copies], count=rng.choice([None, 1, copies]))


def absurd_tempo(rng: random.Random, data: bytes) -> bytes:
    mpqn = rng.choice([0, 1, 100, 0xFFFFFF, 60_000_000 // 1000, 60_000_000 // 5])
    event = b"\x00\xff\x51\x03" + mpqn.to_bytes(3, "big")
    return _with_track_prefix(data, event)


def running_status_abuse(rng: random.Random, data: bytes) -> bytes:
    """Data bytes with no status before them, or a long run of them after one note-on."""
    if rng.random() < 0.5:
        return _with_track_prefix(data, b"\x00\x3c\x40")
    run = b"".join(b"\x00" + bytes([rng.randrange(128), rng.randrange(128)]) for _ in range(500))
    return _with_track_prefix(data, b"\x00\x90\x3c\x40" + run)


def meta_bombs(rng: random.Random, data: bytes) -> bytes:
    """Meta and sysex events that nest, repeat or claim lengths beyond the file."""
    kind = rng.choice(["huge", "overlong_vlq", "chain", "sysex", "escape"])
    if kind == "huge":
        event = b"\x00\xff\x01" + vlq(rng.choice([2**28 - 1, 2**35, 10**12])) + b"x"
    elif kind == "overlong_vlq":
        event = b"\x00\xff\x01" + b"\xff" * rng.randint(5, 200) + b"\x01x"
    elif kind == "chain":
        # Meta events whose text is itself meta events: parsers must not recurse.
        inner = b"\x00\xff\x01\x03abc"
        for _ in range(rng.randint(5, 40)):
            inner = b"\x00\xff\x7f" + vlq(len(inner)) + inner
        event = inner * rng.randint(1, 50)
    elif kind == "sysex":
        event = (b"\x00\xf0" + vlq(3) + b"\x7e\x7f\xf7") * rng.randint(100, 5000)
    else:
        event = b"\x00\xf7" + vlq(2**30) + b"\x00"
    return _with_track_prefix(data, event)


def delta_time_bomb(rng: random.Random, data: bytes) -> bytes:
    """Huge delta times: a few bytes that declare hours or years of music."""
    notes = b"".join(
        vlq(0x0FFFFFFF) + b"\x90\x3c\x40" + vlq(0x0FFFFFFF) + b"\x80\x3c\x00"
        for _ in range(rng.randint(1, 20))
    )
    return _with_track_prefix(data, notes)


def note_flood(rng: random.Random, data: bytes) -> bytes:
    """Tens of thousands of tiny notes inside the size limit: declared work, small file."""
    count = rng.choice([25_000, 60_000])
    pitch = rng.randrange(40, 80)
    notes = (b"\x00\x90" + bytes([pitch, 64]) + b"\x01\x80" + bytes([pitch, 0])) * count
    return _with_track_prefix(data, notes)


def riff_wrapper(rng: random.Random, data: bytes) -> bytes:
    """A RIFF RMID wrapper whose sizes lie."""
    size = rng.choice([len(data), 2**32 - 1, 0, len(data) // 2])
    riff_size = (size + 12) & 0xFFFFFFFF
    return b"RIFF" + struct.pack("<I", riff_size) + b"RMIDdata" + struct.pack("<I", size) + data


def crossover(rng: random.Random, data: bytes) -> bytes:
    """The head of this file on the tail of itself, shifted: tracks cut mid-event."""
    cut = rng.randrange(14, max(15, len(data)))
    return data[:cut] + data[rng.randrange(len(data)) :]


MUTATIONS: tuple[Mutation, ...] = (
    bit_flips,
    byte_stomps,
    truncation,
    garbage_splice,
    huge_chunk_length,
    absurd_header,
    many_tracks,
    absurd_tempo,
    running_status_abuse,
    meta_bombs,
    delta_time_bomb,
    note_flood,
    riff_wrapper,
    crossover,
)


def hostile_files(
    count: int, seed: int = 0, samples: list[bytes] | None = None
) -> Iterator[tuple[str, bytes]]:
    """``count`` hostile files, the same ones for the same seed: (mutations applied, bytes)."""
    rng = random.Random(seed)
    samples = samples or sample_files()
    for _ in range(count):
        data = rng.choice(samples)
        applied = rng.sample(MUTATIONS, rng.choice([1, 1, 1, 2, 3]))
        for mutation in applied:
            if data:
                data = mutation(rng, data)
        yield "+".join(m.__name__ for m in applied), data
