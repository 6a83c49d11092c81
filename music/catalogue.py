"""The sample melodies: a catalogue of short public-domain tunes, one piano track each.

``list_samples()`` reads ``music/samples/catalogue.json``; ``load_sample(slug)`` reads the
melody's MIDI file. Both files are generated from ``music/samples/melodies.ini`` (and, for
the folk tunes, from music21's corpus) by ``python -m music.catalogue build``, and both are
committed, so nothing is parsed or generated at run time.
"""

from __future__ import annotations

import argparse
import configparser
import functools
import json
import re
import sys
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from music.midi_io import read_midi_file, score_to_midi
from music.score import DEFAULT_RESOLUTION, Note, Score, Track

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
MELODIES_FILE = SAMPLES_DIR / "melodies.ini"
CATALOGUE_FILE = SAMPLES_DIR / "catalogue.json"
VELOCITY = 90
TRACK_NAME = "Melody"

_PITCH = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2})?(-?\d)$")
_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MODES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10, 11),  # natural minor plus the leading note
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}


@dataclass(frozen=True)
class SampleMelody:
    """One catalogue entry. ``bars`` counts whole bars after the pickup (if any)."""

    slug: str
    title: str
    source: str
    key: str
    meter: tuple[int, int]
    tempo: float
    bars: int
    pickup_beats: float
    filename: str

    @property
    def path(self) -> Path:
        return SAMPLES_DIR / self.filename


class MelodyError(ValueError):
    """A melody in melodies.ini that does not add up (wrong bar length, bad note)."""


# ----- reading the catalogue ----------------------------------------------------------


@functools.cache
def _catalogue() -> tuple[SampleMelody, ...]:
    entries = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return tuple(
        SampleMelody(**{**entry, "meter": (entry["meter"][0], entry["meter"][1])})
        for entry in entries
    )


def list_samples() -> list[SampleMelody]:
    return list(_catalogue())


def get_sample(slug: str) -> SampleMelody:
    for sample in _catalogue():
        if sample.slug == slug:
            return sample
    raise KeyError(f"no sample melody {slug!r}")


def load_sample(slug: str) -> Score:
    """The melody as a Score (one piano track at 480 ticks per quarter note)."""
    return read_midi_file(get_sample(slug).path)


# ----- music helpers --------------------------------------------------------------------


def pitch_number(name: str) -> int:
    """``"C4"`` -> 60, ``"F#4"`` -> 66, ``"Bb3"`` -> 58."""
    match = _PITCH.match(name)
    if not match:
        raise MelodyError(f"not a pitch: {name!r}")
    letter, accidental, octave = match.groups()
    alter = (accidental or "").count("#") - (accidental or "").count("b")
    return 12 * (int(octave) + 1) + _STEP[letter.upper()] + alter


def key_pitch_classes(key: str) -> frozenset[int]:
    """The scale of ``"Db major"``, ``"A minor"`` (with its leading note), ``"D dorian"``."""
    tonic, _, mode = key.partition(" ")
    if mode not in _MODES:
        raise MelodyError(f"unknown mode in key {key!r}")
    root = pitch_number(f"{tonic}4") % 12
    return frozenset((root + step) % 12 for step in _MODES[mode])


def parse_meter(text: str) -> tuple[int, int]:
    numerator, _, denominator = text.partition("/")
    return int(numerator), int(denominator)


# ----- building the catalogue -----------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    pitch: int | None  # None for a rest
    beats: Fraction
    tie: bool


def _parse_event(token: str) -> _Event:
    tie = token.endswith("~")
    name, _, beats_text = token.rstrip("~").partition(":")
    beats = Fraction(beats_text) if beats_text else Fraction(1)
    if beats <= 0:
        raise MelodyError(f"non-positive length in {token!r}")
    return _Event(None if name == "r" else pitch_number(name), beats, tie)


def parse_bars(notes: str) -> list[list[_Event]]:
    bars = [bar.split() for bar in notes.split("|")]
    return [[_parse_event(token) for token in bar] for bar in bars if bar]


def melody_score(
    notes: str, *, meter: tuple[int, int], tempo: float, pickup: Fraction, title: str
) -> tuple[Score, int]:
    """(Score, whole bars after the pickup) from the bar-by-bar note text.

    Every bar must fill the meter exactly, except a pickup (exactly ``pickup`` beats)
    and the last bar (at most a full bar). The pickup is padded with rest so that the
    Score's bar lines fall where the music's do.
    """
    bar_beats = Fraction(4 * meter[0], meter[1])
    bars = parse_bars(notes)
    body = bars[1:] if pickup else bars
    if pickup and sum(e.beats for e in bars[0]) != pickup:
        raise MelodyError(f"{title}: pickup bar is not {pickup} beats")
    for number, bar in enumerate(body, start=1):
        length = sum(e.beats for e in bar)
        last = number == len(body)
        if length != bar_beats and not (last and length < bar_beats):
            raise MelodyError(f"{title}: bar {number} has {length} beats, not {bar_beats}")
    resolution = DEFAULT_RESOLUTION
    position = (bar_beats - pickup) if pickup else Fraction(0)
    result: list[Note] = []
    tied_from: Note | None = None
    for event in (e for bar in bars for e in bar):
        start = round(position * resolution)
        end = round((position + event.beats) * resolution)
        position += event.beats
        if event.pitch is None:
            tied_from = None
            continue
        if tied_from is not None and tied_from.pitch == event.pitch:
            result[-1] = Note(tied_from.start, event.pitch, end - tied_from.start, VELOCITY)
        else:
            result.append(Note(start, event.pitch, end - start, VELOCITY))
        tied_from = result[-1] if event.tie else None
    track = Track(notes=result, program=0, name=TRACK_NAME)
    score = Score(
        tracks=[track], resolution=resolution, tempo=tempo, time_signature=meter, title=title
    )
    return score, len(body)


def _corpus_score(piece_id: str, title: str) -> tuple[Score, Fraction]:
    """A corpus tune rescaled to the studio resolution, with its pickup in beats."""
    from music.corpus import read_piece

    piece = read_piece(piece_id)
    source = piece.score
    scale = DEFAULT_RESOLUTION // source.resolution
    notes = [
        Note(n.start * scale, n.pitch, n.duration * scale, VELOCITY) for n in source.tracks[0].notes
    ]
    score = Score(
        tracks=[Track(notes=notes, program=0, name=TRACK_NAME)],
        resolution=DEFAULT_RESOLUTION,
        tempo=source.tempo,
        time_signature=source.time_signature,
        title=title,
    )
    first = notes[0].start if notes else 0
    pickup = Fraction(score.ticks_per_bar - first, DEFAULT_RESOLUTION) if first else Fraction(0)
    return score, pickup


def _build_entry(slug: str, section: configparser.SectionProxy) -> tuple[SampleMelody, Score]:
    title = section["title"]
    if "corpus" in section:
        score, pickup = _corpus_score(section["corpus"], title)
        if "tempo" in section:
            score.tempo = float(section["tempo"])
        bars = score.bar_count - (1 if pickup else 0)
    else:
        pickup = Fraction(section.get("pickup", "0"))
        score, bars = melody_score(
            section["notes"],
            meter=parse_meter(section["meter"]),
            tempo=float(section["tempo"]),
            pickup=pickup,
            title=title,
        )
    key_pitch_classes(section["key"])  # fail early on a key we could not test
    entry = SampleMelody(
        slug=slug,
        title=title,
        source=section["source"],
        key=section["key"],
        meter=score.time_signature,
        tempo=score.tempo,
        bars=bars,
        pickup_beats=float(pickup),
        filename=f"{slug}.mid",
    )
    return entry, score


def read_melodies(path: Path = MELODIES_FILE) -> list[tuple[SampleMelody, Score]]:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.read(path, encoding="utf-8")
    return [_build_entry(slug, parser[slug]) for slug in parser.sections()]


def build_catalogue(directory: Path = SAMPLES_DIR) -> list[SampleMelody]:
    """Write every melody's MIDI file and ``catalogue.json`` into ``directory``."""
    melodies = read_melodies()
    for entry, score in melodies:
        (directory / entry.filename).write_bytes(score_to_midi(score))
    entries = [{**asdict(entry), "meter": list(entry.meter)} for entry, _ in melodies]
    text = json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    (directory / "catalogue.json").write_text(text, encoding="utf-8")
    _catalogue.cache_clear()
    return [entry for entry, _ in melodies]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m music.catalogue", description=__doc__)
    parser.add_argument("command", choices=["build", "list"])
    args = parser.parse_args(argv)
    if args.command == "build":
        for entry in build_catalogue():
            print(f"{entry.slug}: {entry.bars} bars of {entry.meter[0]}/{entry.meter[1]}")
    else:
        for sample in list_samples():
            print(f"{sample.slug:32} {sample.key:9} {sample.bars:2} bars  {sample.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
