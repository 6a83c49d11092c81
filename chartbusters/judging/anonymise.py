"""What a judge gets of a finalist's music: the notes, none of the words.

An uploaded MIDI file can carry its maker's name in text, copyright, track-name,
instrument-name, lyric, marker and cue-point events. Judges get the piece rewritten
from its parsed Score by our own MIDI writer, with the title and track names emptied:
only notes, programs, tempo and meter survive.
"""

from __future__ import annotations

from dataclasses import replace

from music.midi_io import score_to_midi
from music.validate import parse_midi


def anonymous_midi(data: bytes) -> bytes:
    """``data`` (a stored entry, validated when it was entered) without its metadata."""
    score = parse_midi(data)
    tracks = [replace(track, name="") for track in score.tracks]
    return score_to_midi(replace(score, title="", tracks=tracks))
