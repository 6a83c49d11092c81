"""The judge's words for people: a label and one sentence of help for every score
component, statistic (descriptor) and flag a report can name, and how to name a copied
source ("sample:minuet-in-g" -> the sample melody "Minuet in G").

The report keeps the stable machine names (``pitch_mean``, ``out_of_distribution``) in
its JSON; everything written for a reader (the explanation, the pages) goes through
here. The service's one table of labels (``chartbusters.core.labels``) is built from
these, beside the generators' parameters.
"""

from __future__ import annotations

from typing import NamedTuple

from music import catalogue


class Label(NamedTuple):
    label: str
    help: str


COMPONENTS: dict[str, Label] = {
    "realism": Label(
        "Realism",
        "How sure critics trained on the challenge's reference music are that the piece is "
        "real music of that style (0 to 1).",
    ),
    "typicality": Label(
        "Typicality",
        "How ordinary the piece's pitch, harmony, rhythm and melody statistics are next to "
        "the reference music's (0 to 1).",
    ),
    "frechet": Label(
        "Fréchet closeness",
        "How close the piece sits to the reference music in a learned musical space "
        "(Fréchet distance, turned into 0 to 1: 1 is closest).",
    ),
    "musicality": Label(
        "Musicality",
        "How much the piece sounds like real music of any style, judged by a critic trained "
        "on every style (0 to 1).",
    ),
}

FLAGS: dict[str, Label] = {
    "copy": Label(
        "Copy",
        "Most of the piece is found in a reference piece, a sample melody or an earlier "
        "entry; copies stay off the ranking.",
    ),
    "out_of_distribution": Label(
        "Unlike the reference",
        "Parts of the piece are unlike anything in the reference music, so the realism "
        "critics' opinion of them counts for less.",
    ),
    "short": Label("Short", "The piece has few bars, so the judge has little to go on."),
}

_S = Label
STATISTICS: dict[str, Label] = {
    "pitch_range": _S("Pitch range", "Semitones from the lowest to the highest note."),
    "n_pitches_used": _S("Pitches used", "How many different pitches the piece plays."),
    "n_pitch_classes_used": _S(
        "Pitch classes used", "How many of the 12 note names (C, C#, ... B) the piece uses."
    ),
    "pitch_mean": _S("Average pitch", "How high the notes are on average."),
    "pitch_std": _S("Pitch spread", "How far the notes lie from their average pitch."),
    "pitch_entropy": _S("Pitch variety", "How evenly the piece spreads over its pitches."),
    "pitch_class_entropy": _S(
        "Note-name variety", "How evenly the piece spreads over the 12 note names."
    ),
    "scale_consistency": _S(
        "Fit to a scale", "The share of notes in the major or minor scale that fits best."
    ),
    "in_scale_rate": _S("Notes in the key", "The share of notes in the piece's key."),
    "key_clarity": _S("Clarity of key", "How strongly the notes point to a single key."),
    "pitch_classes_per_bar": _S(
        "Note names per bar", "How many different note names a bar uses, on average."
    ),
    "semitone_clash_rate": _S("Clashes", "How often two notes a semitone apart sound together."),
    "tonal_distance": _S(
        "Harmonic movement", "How far the harmony moves from one beat to the next."
    ),
    "empty_beat_rate": _S("Silent beats", "The share of beats where nothing sounds."),
    "empty_measure_rate": _S("Silent bars", "The share of bars where nothing sounds."),
    "qualified_note_rate": _S("Notes long enough", "The share of notes at least a 32nd note long."),
    "notes_per_bar": _S("Notes per bar", "How many notes start in a bar, on average."),
    "notes_per_bar_std": _S(
        "Change in busyness", "How much the number of notes changes from bar to bar."
    ),
    "ioi_mean": _S("Time between notes", "The average time from one note's start to the next."),
    "ioi_std": _S(
        "Evenness of rhythm", "How much the time from one note's start to the next varies."
    ),
    "offbeat_onset_rate": _S("Off-beat notes", "The share of notes that start off the beat."),
    "syncopation_rate": _S(
        "Syncopation", "The share of notes that start off the beat and are held across it."
    ),
    "groove_consistency": _S(
        "Steady groove", "How alike the bars' rhythms are (1: every bar the same)."
    ),
    "drum_in_duple_pattern_rate": _S(
        "Drums on the beat", "The share of drum hits on a duple-time grid."
    ),
    "drum_pattern_consistency": _S("Steady drums", "How alike the bars' drum patterns are."),
    "polyphony": _S("Notes at once", "How many notes sound together, on average."),
    "polyphony_rate": _S("Chordal share", "The share of time steps where two or more notes sound."),
    "step_rate": _S("Stepwise motion", "The share of melodic moves of one or two semitones."),
    "mean_abs_interval": _S("Average leap", "The average size of a melodic move, in semitones."),
    "direction_change_rate": _S(
        "Turns in the melody", "How often a melody changes direction (up to down or back)."
    ),
    "leap_recovery_rate": _S(
        "Leaps answered by steps",
        "The share of large leaps followed by a step back the other way, as in careful "
        "part-writing.",
    ),
    "pc_transition_entropy": _S(
        "Surprise from note to note", "How unpredictable each next note name is."
    ),
    "articulation_ratio": _S(
        "Legato", "How much of the time between note starts a note is held (1: fully joined)."
    ),
}

# Histograms: one statistic per bin ("ioi_hist_3"), named after the histogram and the bin.
HISTOGRAMS: dict[str, Label] = {
    "pc_hist": _S("Use of note name", "The share of notes on one of the 12 note names."),
    "note_length_hist": _S("Note lengths", "The share of notes in one band of lengths."),
    "ioi_hist": _S("Gaps between notes", "The share of note-to-note gaps in one band."),
    "onset_position_hist": _S(
        "Where notes start in the bar", "The share of notes starting at one of 16 positions."
    ),
    "interval_hist": _S("Melodic moves", "The share of melodic moves in one band of sizes."),
}

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

PROFILES: dict[str, Label] = {
    "bach-chorales": Label("Bach chorales", "J. S. Bach's four-part chorales."),
    "folk": Label(
        "Folk tunes",
        "Folk melodies: Essen folksongs, Ryan's Mammoth Collection and O'Neill's 1850.",
    ),
    "renaissance": Label("Renaissance polyphony", "Palestrina and Monteverdi."),
}


def statistic(name: str) -> Label:
    """The label of a descriptor, histogram bins included ("pc_hist_0": note name C)."""
    if name in STATISTICS:
        return STATISTICS[name]
    prefix, _, index = name.rpartition("_")
    if prefix in HISTOGRAMS and index.isdigit():
        base = HISTOGRAMS[prefix]
        which = PITCH_NAMES[int(index)] if prefix == "pc_hist" and int(index) < 12 else index
        place = f" {which}" if prefix == "pc_hist" else f", band {int(which) + 1}"
        return Label(f"{base.label}{place}", base.help)
    return Label(name.replace("_", " ").capitalize(), "A statistic of the piece.")


def source_text(source: str) -> str:
    """A copied source in words. Entries and participants ("entry:41") stay as they are:
    the service resolves and hides them (``chartbusters.evaluator.privacy``)."""
    kind, _, name = source.partition(":")
    if kind == "sample":
        try:
            title = catalogue.get_sample(name).title
        except KeyError:
            title = name
        return f"the sample melody “{title}”"
    if kind in PROFILES and name:
        return f"“{name}” from the {PROFILES[kind].label.lower()}"
    return source
