"""Music metrics: pure functions ``metric(score) -> float`` (or an array), NaN if undefined.

Every metric first puts the Score on a fixed grid of 24 steps per beat
(:class:`NoteGrid`), so its value does not depend on the file's resolution, and accepts
a ready grid instead of a Score so that :func:`evaluation.descriptors.describe` builds
the grid once. The modules group them: pitch, harmony, rhythm, drums, texture and
melody (transition features).
"""

from evaluation.metrics.drums import drum_in_pattern_rate, drum_pattern_consistency
from evaluation.metrics.grid import STEPS_PER_BEAT, NoteGrid, as_grid
from evaluation.metrics.harmony import (
    estimate_key,
    in_scale_rate,
    key_clarity,
    mean_tonal_distance,
    pitch_classes_per_bar,
    pitch_in_scale_rate,
    scale_consistency,
    semitone_clash_rate,
    tonal_distance,
)
from evaluation.metrics.melody import (
    articulation_ratio,
    direction_change_rate,
    interval_histogram,
    leap_recovery_rate,
    mean_abs_interval,
    melodic_intervals,
    pitch_class_transition_entropy,
    pitch_class_transition_matrix,
    step_rate,
)
from evaluation.metrics.pitch import (
    n_pitch_classes_used,
    n_pitches_used,
    pitch_class_entropy,
    pitch_class_histogram,
    pitch_entropy,
    pitch_mean,
    pitch_range,
    pitch_std,
)
from evaluation.metrics.rhythm import (
    empty_beat_rate,
    empty_measure_rate,
    groove_consistency,
    inter_onset_intervals,
    ioi_histogram,
    ioi_mean,
    ioi_std,
    note_length_histogram,
    notes_per_bar,
    notes_per_bar_std,
    offbeat_onset_rate,
    onset_position_histogram,
    qualified_note_rate,
    syncopation_rate,
)
from evaluation.metrics.texture import polyphony, polyphony_rate
from music.key import Key

__all__ = [
    "STEPS_PER_BEAT",
    "Key",
    "NoteGrid",
    "articulation_ratio",
    "as_grid",
    "direction_change_rate",
    "drum_in_pattern_rate",
    "drum_pattern_consistency",
    "empty_beat_rate",
    "empty_measure_rate",
    "estimate_key",
    "groove_consistency",
    "in_scale_rate",
    "inter_onset_intervals",
    "interval_histogram",
    "ioi_histogram",
    "ioi_mean",
    "ioi_std",
    "key_clarity",
    "leap_recovery_rate",
    "mean_abs_interval",
    "mean_tonal_distance",
    "melodic_intervals",
    "n_pitch_classes_used",
    "n_pitches_used",
    "note_length_histogram",
    "notes_per_bar",
    "notes_per_bar_std",
    "offbeat_onset_rate",
    "onset_position_histogram",
    "pitch_class_entropy",
    "pitch_class_histogram",
    "pitch_class_transition_entropy",
    "pitch_class_transition_matrix",
    "pitch_classes_per_bar",
    "pitch_entropy",
    "pitch_in_scale_rate",
    "pitch_mean",
    "pitch_range",
    "pitch_std",
    "polyphony",
    "polyphony_rate",
    "qualified_note_rate",
    "scale_consistency",
    "semitone_clash_rate",
    "step_rate",
    "syncopation_rate",
    "tonal_distance",
]
