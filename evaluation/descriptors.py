"""The descriptor vector: every scalar metric of a piece under a stable name.

``describe(score)`` is computed for every submitted entry and every reference piece, so
it builds the piece's :class:`~evaluation.metrics.NoteGrid` once and hands it to each
metric. Histograms are flattened to one descriptor per bin (``ioi_hist_3``). Names and
their order are fixed by ``DESCRIPTOR_NAMES``; a descriptor that is undefined for a
piece (no drums, a single note, ...) is NaN, never missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import NDArray

from evaluation import metrics as m
from evaluation.metrics import NoteGrid
from music.score import Score

Scalar = Callable[[NoteGrid], float]
Vector = Callable[[NoteGrid], NDArray[np.float64]]

# (group, name, metric) for scalars; (group, prefix, size, metric) for histograms.
_SCALARS: tuple[tuple[str, str, Scalar], ...] = (
    ("pitch", "pitch_range", m.pitch_range),
    ("pitch", "n_pitches_used", m.n_pitches_used),
    ("pitch", "n_pitch_classes_used", m.n_pitch_classes_used),
    ("pitch", "pitch_mean", m.pitch_mean),
    ("pitch", "pitch_std", m.pitch_std),
    ("pitch", "pitch_entropy", m.pitch_entropy),
    ("pitch", "pitch_class_entropy", m.pitch_class_entropy),
    ("harmony", "scale_consistency", m.scale_consistency),
    ("harmony", "in_scale_rate", m.in_scale_rate),
    ("harmony", "key_clarity", m.key_clarity),
    ("harmony", "pitch_classes_per_bar", m.pitch_classes_per_bar),
    ("harmony", "semitone_clash_rate", m.semitone_clash_rate),
    ("harmony", "tonal_distance", m.mean_tonal_distance),
    ("rhythm", "empty_beat_rate", m.empty_beat_rate),
    ("rhythm", "empty_measure_rate", m.empty_measure_rate),
    ("rhythm", "qualified_note_rate", m.qualified_note_rate),
    ("rhythm", "notes_per_bar", m.notes_per_bar),
    ("rhythm", "notes_per_bar_std", m.notes_per_bar_std),
    ("rhythm", "ioi_mean", m.ioi_mean),
    ("rhythm", "ioi_std", m.ioi_std),
    ("rhythm", "offbeat_onset_rate", m.offbeat_onset_rate),
    ("rhythm", "syncopation_rate", m.syncopation_rate),
    ("rhythm", "groove_consistency", m.groove_consistency),
    ("drums", "drum_in_duple_pattern_rate", lambda g: m.drum_in_pattern_rate(g, "duple")),
    ("drums", "drum_pattern_consistency", m.drum_pattern_consistency),
    ("texture", "polyphony", m.polyphony),
    ("texture", "polyphony_rate", m.polyphony_rate),
    ("melody", "step_rate", m.step_rate),
    ("melody", "mean_abs_interval", m.mean_abs_interval),
    ("melody", "direction_change_rate", m.direction_change_rate),
    ("melody", "leap_recovery_rate", m.leap_recovery_rate),
    ("melody", "pc_transition_entropy", m.pitch_class_transition_entropy),
    ("melody", "articulation_ratio", m.articulation_ratio),
)

_HISTOGRAMS: tuple[tuple[str, str, int, Vector], ...] = (
    ("pitch", "pc_hist", 12, m.pitch_class_histogram),
    ("rhythm", "note_length_hist", 10, m.note_length_histogram),
    ("rhythm", "ioi_hist", 10, m.ioi_histogram),
    ("rhythm", "onset_position_hist", 16, m.onset_position_histogram),
    ("melody", "interval_hist", 9, m.interval_histogram),
)

_GROUP_ORDER = ("pitch", "harmony", "rhythm", "drums", "texture", "melody")


def _named_entries() -> list[tuple[str, str, Scalar | Vector, int]]:
    """(group, name or prefix, metric, size) with size 0 for scalars, in vector order."""
    entries: list[tuple[str, str, Scalar | Vector, int]] = [
        (group, name, metric, 0) for group, name, metric in _SCALARS
    ]
    entries += [(group, prefix, metric, size) for group, prefix, size, metric in _HISTOGRAMS]
    entries.sort(key=lambda entry: _GROUP_ORDER.index(entry[0]))  # stable within a group
    return entries


_ENTRIES = _named_entries()


def _names(name: str, size: int) -> list[str]:
    return [name] if size == 0 else [f"{name}_{i}" for i in range(size)]


DESCRIPTOR_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(n for g, name, _, size in _ENTRIES if g == group for n in _names(name, size))
    for group in _GROUP_ORDER
}
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(
    n for group in _GROUP_ORDER for n in DESCRIPTOR_GROUPS[group]
)


def _vector(grid: NoteGrid) -> NDArray[np.float64]:
    values = np.empty(len(DESCRIPTOR_NAMES))
    i = 0
    for _, _, metric, size in _ENTRIES:
        if size == 0:
            values[i] = metric(grid)
            i += 1
        else:
            values[i : i + size] = metric(grid)
            i += size
    return values


def describe(score: Score) -> dict[str, float]:
    """Every scalar descriptor of ``score``, keyed by name in ``DESCRIPTOR_NAMES`` order."""
    values = _vector(NoteGrid.from_score(score))
    return dict(zip(DESCRIPTOR_NAMES, values.tolist(), strict=True))


def describe_many(scores: Iterable[Score]) -> NDArray[np.float64]:
    """(pieces, len(DESCRIPTOR_NAMES)) descriptor matrix, one row per score."""
    rows = [_vector(NoteGrid.from_score(score)) for score in scores]
    if not rows:
        return np.empty((0, len(DESCRIPTOR_NAMES)))
    return np.vstack(rows)
