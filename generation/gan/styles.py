"""The GAN's accompaniment styles: what the studio lists, without importing torch.

A style is a trained checkpoint (``generation/checkpoints/gan-<name>.pt``) plus the words
and instruments the studio shows. The registry reads :data:`STYLES` for the ``style``
parameter's choices, and the web process can render :func:`styles_json` cheaply; only
``generation.gan.model`` (torch) loads the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Instrument:
    """One accompaniment track: its name and General MIDI program (0-127)."""

    name: str
    program: int


Range = tuple[int, int]  # the lowest and the highest MIDI pitch, inclusive


@dataclass(frozen=True)
class Decoding:
    """How a style's voices are read off the generator (:mod:`generation.gan.decoding`)."""

    min_note_steps: int = 1
    min_rest_steps: int = 1
    change_cost: float = 0.0
    parallel_cost: float = 0.0
    dissonance_cost: float = 0.0
    unison_cost: float = 0.0
    rest_cost: float = 0.0
    offbeat_dissonance: float = 1.0  # the dissonance cost's share between beats
    leap_cost: float = 0.0  # per semitone of a move beyond a whole tone, per octave
    repeat_cost: float = 0.0  # striking the pitch just sounded again
    step_bonus: float = 0.0  # a move by a semitone or a whole tone gains this
    # the lowest voice's own leap and repeat costs (None: the ones above): a bass moves
    # by fourths, fifths and octaves and seldom strikes one pitch twice
    bass_leap_cost: float | None = None
    bass_repeat_cost: float | None = None
    onset_weight: float = 0.0
    refine_rounds: int = 1  # passes over the voices given all the others
    # rounds in which each voice of each window is generated again, given the others
    # whole (generators trained with voice context only)
    regenerate_rounds: int = 0
    viterbi: bool = True  # False: the independent argmax per step (the old decoding)
    forbid_parallels: bool = False  # True: no parallel fifths or octaves at all
    hold_beats: int = 0  # an inner voice on one pitch longer than this (0: any length) ...
    hold_cost: float = 0.0  # ... costs this per step beyond (beats of the input's meter)
    phrase_cost: float = 0.0  # per step of a bass off the tonic under a long tonic note
    # a move that turns a line back (up after down, or down after up; generation.gan.viterbi),
    # read where notes and rests may end at any step (min_note_steps = min_rest_steps = 1)
    turn_cost: float = 0.0
    # generation.gan.ornaments, after decoding: the chance that a passing note or a
    # suspension is written where one fits the decoded voices
    passing: float = 0.0
    suspension: float = 0.0
    sixteenths: float = 0.0  # ... and a sixteenth-note passing note (generation.figures)
    # True: a beat where no part starts a note, between onsets a beat and a half apart,
    # gets one (generation.gan.ornaments.keep_moving)
    keep_moving: bool = False
    # per onset (and per step of rest) of a voice under a held melody note that ends a
    # phrase (generation.gan.constraints.cadence_holds): Bach's voices hold the chord there
    hold_cadence_cost: float = 0.0

    def __post_init__(self) -> None:
        if self.turn_cost and max(self.min_note_steps, self.min_rest_steps) > 1:
            raise ValueError(
                "turn_cost is read only where notes and rests may end at any step "
                "(min_note_steps and min_rest_steps 1)"
            )


@dataclass(frozen=True)
class GanStyle:
    """A trained accompaniment style: three instruments under the melody."""

    name: str
    title: str
    description: str
    corpus: str  # the music.corpus it was trained on
    instruments: tuple[Instrument, Instrument, Instrument]  # high to low
    # Soprano (the melody: only the statistics read it), alto, tenor, bass: the lowest and
    # highest MIDI pitch each voice may sing; the decoder keeps the three voices inside.
    ranges: tuple[Range, Range, Range, Range] = ((60, 81), (53, 74), (48, 69), (36, 62))
    decoding: Decoding = Decoding()

    @property
    def checkpoint(self) -> str:
        """The registry's checkpoint name: ``gan-<name>``."""
        return f"gan-{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "corpus": self.corpus,
            "instruments": [{"name": i.name, "program": i.program} for i in self.instruments],
        }


STYLES: dict[str, GanStyle] = {
    style.name: style
    for style in (
        GanStyle(
            name="chorale",
            title="Bach chorale",
            description=(
                "Alto, tenor and bass under your melody, as in J. S. Bach's four-part "
                "chorales, played on church organ."
            ),
            corpus="bach-chorales",
            instruments=(
                Instrument("Alto", 19),  # Church Organ
                Instrument("Tenor", 19),
                Instrument("Bass", 19),
            ),
            # Tuned on the validation split against the bach-chorales profile (MODEL_CARD.md):
            # Bach's passing notes clash between beats, and his inner voices move by step.
            # The ranges are the textbook SATB ones (the class default).
            decoding=Decoding(
                onset_weight=0.5,
                parallel_cost=3.0,
                dissonance_cost=2.0,
                offbeat_dissonance=0.25,
                # Code version 6, tuned on the validation split (MODEL_CARD.md, "Version
                # 6"): Bach doubles a pitch between two voices on 7.5 % of the steps (the
                # decoder with a unison cost of 1: 3 %), strikes a pitch again in 21 % of
                # the alto's moves and 2 % of the bass's (the decoder: 30 % and 22 %), and
                # his bass leaps a fourth or more in 29 % of its moves (the decoder: 17 %).
                unison_cost=0.0,
                leap_cost=2.0,
                repeat_cost=0.3,
                step_bonus=0.3,  # his voices move by step in 61-64 % of their moves
                bass_leap_cost=0.5,
                bass_repeat_cost=1.0,
                forbid_parallels=True,
                hold_beats=4,
                # 1 until code version 6, whose regenerated inner voices hold longer: 4
                # brings them under the 8 % on the validation split (6.8 %; 8.8 %
                # at 1), judge and C2ST the same within their noise.
                hold_cost=4.0,
                # Bach puts the tonic in the bass under 75 % of the melody's long tonic
                # notes (validation split); the decoder alone did under 40 %, this 75 %.
                phrase_cost=0.4,
                # Code version 7 (MODEL_CARD.md, "Version 7"): Bach's lines turn back after
                # 49-55 % of their moves, the decoder's after 56-63 % without this.
                turn_cost=0.2,
                # The generator (trained with voice context) writes each voice of each
                # window again given the other two: judge median +5 on the validation split.
                regenerate_rounds=1,
                # The first pass decodes each voice once (code version 7): the regeneration
                # decodes every voice again given the others, and the turn cost made the
                # second decoding of the first pass cost more than it gave (validation,
                # 8 seeds: C2ST 0.823 -> 0.804, judge 87.9 -> 87.2, 20 % faster).
                refine_rounds=0,
                # Tuned on the validation split (MODEL_CARD.md): half the passing notes and
                # suspensions that fit (all of the suspensions until code version 6, when
                # the regenerated voices clash more often on their own: 19 % of the beats
                # against Bach's 23 %, 27 % with every suspension). Since code version 7,
                # 0.45 of the suspensions: at 0.5 twice Bach's share of notes held across a
                # beat from between beats; at 0.3 fewer beats clash than his (14 %). And
                # 0.75 of the passing notes: inner voices held less (validation, 8 seeds:
                # 6.5 % -> 6.1 %), C2ST 0.804 -> 0.792, judge 87.2 -> 87.8. With code
                # version 8's held cadences 0.45 is still the fewest that keep the beats'
                # dissonance in the 15-25 % band on two sets of 8 seeds (16.1 /
                # 15.4 %; 0.4: 14.8 / 14.4 %), the C2ST the same within its noise.
                passing=0.75,
                suspension=0.45,
                # Half the off-beat eighths leaping a third that fit a sixteenth passing
                # note get one: Bach's share of sixteenth-note onsets on the validation
                # split (7.5 % of the time between onsets against his 7.3 %; none before).
                sixteenths=0.5,
                # Bach never leaves the texture a beat and a half without an onset; the
                # decoded voices did in 1 % of the gaps between onsets (code version 7).
                keep_moving=True,
                # Code version 8 (MODEL_CARD.md, "Version 8"), on the validation split:
                # Bach's voices strike nothing under 81 % of the melody's notes of three
                # beats or more and 75 % of its two-beat notes on the tonic triad, ours
                # did under 17 % of them; an onset (or a rest) under such a note that ends
                # a phrase (constraints.cadence_holds) costs 5 (2 and 20 gave the same
                # C2ST within its noise).
                hold_cadence_cost=5.0,
            ),
        ),
        GanStyle(
            name="renaissance",
            title="Renaissance polyphony",
            description=(
                "Three lower voices under your melody in the manner of Palestrina and "
                "Monteverdi, played by a consort of viols (viola and two cellos)."
            ),
            corpus="renaissance",
            instruments=(
                Instrument("Alto", 41),  # Viola
                Instrument("Tenor", 42),  # Cello
                Instrument("Bass", 42),
            ),
            # Palestrina's notes last a beat or more and his voices rest for bars, not
            # beats: a note lasts at least 2 eighths, a rest 4; resting costs, or the
            # voices rest to dodge clashes (MODEL_CARD.md has the tuning).
            # Around Palestrina's voices (the validation split cut to four parts): the
            # 1st and 99th percentiles are G3-F5 (alto), E3-C5 (tenor), G2-F4 (bass).
            ranges=((57, 81), (53, 77), (48, 72), (40, 65)),
            decoding=Decoding(
                min_note_steps=2,
                min_rest_steps=4,
                onset_weight=0.5,
                parallel_cost=6.0,
                dissonance_cost=3.0,
                unison_cost=1.0,
                rest_cost=1.0,
                forbid_parallels=True,
                hold_beats=4,
                hold_cost=1.0,
                # No phrase cost: these voices already put the tonic under the melody's
                # long tonic notes more often than Palestrina's (35 % against 26 %).
                # Validation split (MODEL_CARD.md): every passing note that fits; a third of
                # the suspensions, for 6 % of beats with a clash (Palestrina 7.7 %; all of
                # them gave 12 % and a lower judge score).
                # In 4/4 a half beat is one eighth, shorter than these voices' notes: no figures.
                passing=1.0,
                suspension=0.3,
            ),
        ),
    )
}

DEFAULT_STYLE = "chorale"


def styles_json() -> list[dict[str, Any]]:
    """Every style, for the studio's style picker."""
    return [style.to_json() for style in STYLES.values()]
