"""What the AR-CNN's sampler may write in each cell: the voices' ranges and the final chord.

The sampler (:mod:`generation.arcnn.gibbs`) masks the network's logits with
:func:`allowed_cells` at every Gibbs step: each voice within its SATB range, and where the
melody asks for a final chord (:func:`final_chord_of`), the written voices on it from the
melody's last note on, then held (:func:`hold_final_chord`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from generation.arcnn.network import VOICES, ArcnnConfig
from generation.gan.baseline import top_line
from generation.gan.constraints import Ending, ending, final_chord
from music.score import Score, Track

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SATB = ((60, 81), (53, 74), (48, 69), (36, 62))  # inclusive MIDI ranges, C4-A5 ... C2-D4


def voice_tracks(score: Score) -> list[Track]:
    """The input's tracks as voices, high to low: four tracks, or one top line."""
    tracks = [t for t in score.pitched_tracks() if t.notes]
    if len(tracks) == VOICES:
        return sorted(tracks, key=lambda t: -float(np.mean([n.pitch for n in t.notes])))
    return [Track([n for t in tracks for n in t.notes])]


def allowed_classes(config: ArcnnConfig, key_move: int) -> torch.Tensor:
    """(4, 1 + P) bool: rest, and the columns whose output pitch is in each voice's range."""
    pitches = np.arange(config.pitches) + config.low_pitch - key_move
    allowed = np.ones((VOICES, config.classes), dtype=np.bool_)
    for voice, (low, high) in enumerate(SATB):
        allowed[voice, 1:] = (pitches >= low) & (pitches <= high)
    return torch.from_numpy(allowed)


def allowed_cells(
    config: ArcnnConfig, key_move: int, given: BoolArray, columns: IntArray, final: Ending | None
) -> torch.Tensor:
    """(4, T, 1 + P) bool: :func:`allowed_classes` at every step, and where the melody
    ends on its tonic triad (``final``: :func:`final_chord_of`), from its last note's
    start on, the voices the input does not have sound the final chord: the bass the
    tonic, the inner voices the tonic triad (a major third allowed in minor), never rest;
    the voices the input has keep their notes there (the melody's last note is not
    rewritten, nor the rest after it filled). A voice the input does not have never rests
    while the input's melody sounds (code version 8: under a lone note after a rest the
    network wrote nothing but rests, and the melody came back alone)."""
    steps = columns.shape[1]
    allowed = allowed_classes(config, key_move)[:, None, :].repeat(1, steps, 1)
    sounding = np.flatnonzero(columns[0] >= 0)
    for voice in np.flatnonzero(~given):
        allowed[voice, sounding, 0] = False
    if final is not None and final.start < steps:
        classes = (np.arange(config.pitches) + config.low_pitch - key_move) % 12
        allowed &= torch.from_numpy(final_chord(final, classes, (VOICES, steps), steps))
        kept = np.flatnonzero(given)
        own = columns[kept, final.start :] + 1  # (given voices, steps): their state
        allowed[kept, final.start :] = torch.from_numpy(np.arange(config.classes) == own[..., None])
    return allowed


def final_chord_of(score: Score, spb: int) -> Ending | None:
    """The final chord the input's melody asks for (:func:`generation.gan.constraints.ending`):
    where its last note is a note of its tonic triad that starts half a bar or more before
    the end of its bar (a played final note may be short, so its start counts, not its
    length). A last note later in its bar may stop mid-phrase (an excerpt), where Bach
    seldom has the tonic in the bass: in the first 8 bars of the validation chorales, 4
    of 16 whose melody stops on a short tonic-triad note, 3 of 5 on a long one."""
    melody = top_line(voice_tracks(score)[0].notes, score.resolution)
    if not melody:
        return None
    bar = score.ticks_per_bar
    if 2 * (bar - melody[-1].start % bar) < bar:
        return None
    return ending(melody, spb, score.resolution)


def hold_final_chord(columns: IntArray, onsets: BoolArray, writable: BoolArray, start: int) -> None:
    """Each written voice holds the note it sounds at ``start`` to the end, as a final
    chord is held (sampled cell by cell, a voice could move between the chord's notes)."""
    voices = writable[:, start]
    columns[voices, start:] = columns[voices, start][:, None]
    onsets[voices, start + 1 :] = False
