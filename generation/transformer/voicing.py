"""A four-part continuation's lower voices, written again under the Transformer's melody.

The Transformer continues a four-part chorale by sampling all four voices as tokens. Its
melody continues the prompt well; its alto, tenor and bass do not sound like Bach's (they
zig-zag, repeat pitches and never rest; the classifier test tells them apart nearly every
time). :func:`bach_lower_voices` keeps the new melody and has the AR-CNN's network
(:func:`generation.arcnn.fill.fill_lower_voices`, trained on the same chorales) write the
three voices under it, after the prompt's four voices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from generation.arcnn.fill import fill_lower_voices
from generation.arcnn.network import Inpainter
from music.score import Note, Score, Track


def bach_lower_voices(
    score: Score,
    voices: Sequence[Track],
    notes: Sequence[tuple[int, Note]],
    span: tuple[int, int, int],
    seed: int,
    model: Inpainter | None = None,
) -> list[tuple[int, Note]]:
    """``notes`` (new notes with their voice, 0 the melody) with the alto, tenor and bass
    written again. ``voices`` are the input's four tracks, soprano first; ``span`` is
    ``(origin, start, end)`` in ticks: the prompt's first bar, where the continuation
    starts and where it ends; ``model`` the AR-CNN's network (the shipped one if None).
    The final chord (the notes from the melody's last onset on) is the Transformer's.
    Returns ``notes`` as they are if a voice has no notes in the prompt (nothing to
    continue from) or the resolution is odd (no whole ticks per eighth-note step)."""
    origin, start, end = span
    melody = [n for v, n in notes if v == 0]
    if not melody:
        return list(notes)
    # The Transformer's final chord (every voice strikes it with the melody's last note,
    # the bass and the melody on the tonic) stays: the network writes the way to it.
    cadence = max(n.start for n in melody)
    tracks = []
    for voice, track in enumerate(voices):
        given = [n for n in track.notes if n.end > origin and n.start < start]
        given += (
            melody if voice == 0 else [n for v, n in notes if v == voice and n.start >= cadence]
        )
        tracks.append(Track([_from(n, origin) for n in given]))
    if any(not track.notes for track in tracks) or score.resolution % 2:
        return list(notes)
    piece = Score(tracks, score.resolution, score.tempo, score.time_signature)
    lower = fill_lower_voices(piece, start - origin, seed, cadence - origin, model)
    kept = [(v, n) for v, n in notes if v == 0 or n.start >= cadence]
    for voice, written in enumerate(lower, start=1):
        for note in written:
            begin, finish = note.start + origin, min(note.end + origin, end)
            if finish > begin:
                kept.append((voice, replace(note, start=begin, duration=finish - begin)))
    return kept


def _from(note: Note, origin: int) -> Note:
    """``note`` in ticks from ``origin``, its part before ``origin`` cut off."""
    begin = max(note.start, origin)
    return replace(note, start=begin - origin, duration=note.end - begin)
