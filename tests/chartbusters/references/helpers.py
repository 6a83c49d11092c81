"""Reference pieces and sets for the host-built judge tests."""

from __future__ import annotations

import io
import zipfile

from chartbusters.accounts.models import User
from chartbusters.references.models import ReferenceSet
from music.midi_io import score_from_midi, score_to_midi
from music.score import Note, Score, Track
from tests.chartbusters.builders import piece


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def drums_only() -> bytes:
    hits = [Note(i * 240, 36 + (i % 3), 120, 100) for i in range(32)]
    return score_to_midi(Score(tracks=[Track(hits, program=0, is_drum=True, name="Kit")]))


def one_note() -> bytes:
    notes = [Note(i * 480, 60, 480, 80) for i in range(32)]
    return score_to_midi(Score(tracks=[Track(notes, program=0, name="Drone")]))


def near_copy(seed: int) -> bytes:
    """``piece(seed)`` with one note of its top voice moved: the same music, not the
    same bytes (a near-duplicate)."""
    score = score_from_midi(piece(seed))
    top = score.tracks[0]
    first = top.notes[3]
    top.notes[3] = Note(first.start, first.pitch + 1, first.duration, first.velocity)
    return score_to_midi(score)


def make_set(owner: User, slug: str = "carols", **fields: object) -> ReferenceSet:
    values: dict[str, object] = {
        "name": slug.title(),
        "slug": slug,
        "licence_note": "Public domain.",
        "owner": owner,
    }
    values.update(fields)
    return ReferenceSet.objects.create(**values)
