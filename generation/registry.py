"""The techniques, their parameters, and the single entry point the studio calls.

``generate(technique, score, params, seed)`` validates the parameters against the
technique's spec, checks the input (rules shared by every generator), runs the
technique's pure ``generate(score, params, seed) -> Score`` and keeps the input's tempo.
The Django studio calls it from a Celery task; ``python -m generation`` calls it too.

This module does not import torch: the studio's web process can render forms from
``TECHNIQUES[name].params.to_json()`` cheaply, and only ``Technique.run`` imports the
model's module. To add a technique, declare its :class:`Technique` below and give its
module (``generation/<name>.py``) a function ``generate(score, params, seed) -> Score``
and, for ``python -m generation.train``, a ``TRAINING`` entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from generation import versions
from generation.cost import CostModel, arcnn_units, gan_units, transformer_units
from generation.errors import (
    GenerationInputError,
    GenerationParamError,
    ModelVersionError,
    UnknownTechniqueError,
)
from generation.gan.styles import DEFAULT_STYLE, STYLES
from generation.params import Param, ParamSpec, ParamValue
from music.score import Score

MAX_BARS = 32
MAX_SEED = 2**32 - 1


class GenerateFunction(Protocol):
    def __call__(
        self, score: Score, params: Mapping[str, ParamValue], seed: int, **options: Any
    ) -> Score: ...


# A technique whose time hardly depends on its parameters (the GAN: 0.15 s on 32 bars).
QUICK = CostModel("", gan_units, 0.01, 0.3)


@dataclass(frozen=True)
class Technique:
    """One generator: its name, words for the studio, parameters and model version.

    ``module`` holds ``generate``; ``checkpoint`` names the shipped weights
    (``generation/checkpoints/<checkpoint>.pt``) whose digest is part of ``version``, so a
    new checkpoint is a new version without anyone remembering to bump a number.
    ``code_version`` is bumped when the sampling code changes what comes out. Weights that
    training replaced stay runnable from the archive (:mod:`generation.versions`).
    """

    name: str
    title: str
    description: str
    params: ParamSpec
    module: str
    checkpoint: str = ""
    code_version: str = "1"
    more_checkpoints: tuple[str, ...] = ()  # one per style, for techniques with styles
    # Where ``python -m generation.train`` finds ``TRAINING``, when not in ``module``
    # (training code the generator itself never imports).
    training_module: str = ""
    # The styles a technique offers (the GAN's), listed with it for the studio.
    styles: tuple[Any, ...] = ()
    # Whether ``generate`` takes ``progress``: a callable given the finished share (0-1).
    reports_progress: bool = False
    # How long a request takes (``generation.cost``): requests that cannot finish in
    # time are refused before they run.
    cost: CostModel = QUICK

    def generate_function(self) -> GenerateFunction:
        function: GenerateFunction = importlib.import_module(self.module).generate
        return function

    @property
    def checkpoints(self) -> tuple[str, ...]:
        return (self.checkpoint, *self.more_checkpoints)

    @property
    def version(self) -> str:
        """``<name>-<code_version>+<digest>``: any style's new weights make a new version."""
        return versions.shipped_version(self.name, self.code_version, self.checkpoints)

    def version_status(self, version: str) -> versions.VersionStatus:
        """Whether this service can still run ``version``: shipped, archived or gone."""
        return versions.version_status(self.name, self.code_version, self.checkpoints, version)

    def runnable_versions(self) -> dict[str, versions.VersionStatus]:
        return versions.runnable_versions(self.name, self.code_version, self.checkpoints)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "version": self.version,
            "params": self.params.to_json(),
        } | ({"styles": [style.to_json() for style in self.styles]} if self.styles else {})


ARCNN_PARAMS = ParamSpec(
    (
        Param(
            "max_input_notes_to_remove",
            "int",
            100,
            "The largest share of your input's notes (its top line, the melody) the "
            "model may change; it changes only notes it finds clearly out of place.",
            label="Maximum input notes to remove",
            minimum=0,
            maximum=100,
            unit="%",
        ),
        Param(
            "max_notes_to_add",
            "int",
            500,
            "The most new note cells (eighth notes) the model may write in the voices "
            "your input does not have, for every 8 bars of 4/4: a voice takes 64, so 192 "
            "fits alto, tenor and bass; less leaves out whole voices (tenor, then alto).",
            label="Maximum notes to add",
            minimum=0,
            maximum=1000,
        ),
        Param(
            "sampling_iterations",
            "int",
            100,
            "How many passes the model makes over your whole piece: each hides some of "
            "the notes it may change and writes them again, fewer each time.",
            label="Sampling iterations",
            minimum=0,
            maximum=1000,
        ),
        Param(
            "creative_risk",
            "float",
            1.0,
            "Higher values let the model pick less likely edits, for more unusual results.",
            label="Creative risk",
            minimum=0.5,
            maximum=6,
        ),
    )
)

GAN_PARAMS = ParamSpec(
    (
        Param(
            "style",
            "choice",
            DEFAULT_STYLE,
            "The music the accompaniment was learnt from: "
            + "; ".join(f"{s.name}: {s.title}" for s in STYLES.values())
            + ".",
            label="Style",
            choices=tuple(STYLES),
        ),
    )
)

SAMPLING_TECHNIQUES = ("top-k", "nucleus")
MAX_TOP_K = 100


def check_sampling_threshold(values: Mapping[str, ParamValue]) -> None:
    """The threshold is k for top-k sampling (a whole number) and p for nucleus sampling."""
    technique, threshold = values["sampling_technique"], float(values["sampling_threshold"])
    if technique == "top-k" and (threshold != int(threshold) or not 1 <= threshold <= MAX_TOP_K):
        raise GenerationParamError(
            "sampling_threshold",
            "With top-k sampling, sampling_threshold is the number of candidates k and must "
            f"be a whole number between 1 and {MAX_TOP_K}, not {threshold:g}.",
        )
    if technique == "nucleus" and not 0 < threshold <= 1:
        raise GenerationParamError(
            "sampling_threshold",
            "With nucleus sampling, sampling_threshold is the probability mass p and must be "
            f"greater than 0 and at most 1, not {threshold:g}.",
        )


TRANSFORMER_PARAMS = ParamSpec(
    (
        Param(
            "sampling_technique",
            "choice",
            "top-k",
            "Top-k draws each note from the k likeliest choices; nucleus from the likeliest "
            "ones that together reach probability p.",
            label="Sampling technique",
            choices=SAMPLING_TECHNIQUES,
        ),
        Param(
            "sampling_threshold",
            "float",
            8,
            f"For top-k, the number of choices k (a whole number, 1-{MAX_TOP_K}); for "
            "nucleus, the probability p (above 0, at most 1).",
            label="Sampling threshold",
            minimum=0,
            maximum=MAX_TOP_K,
        ),
        Param(
            "creative_risk",
            "float",
            1.0,
            "Higher values let the model pick less likely notes, for more unusual results.",
            label="Creative risk",
            minimum=0.5,
            maximum=6,
        ),
        Param(
            "input_duration",
            "float",
            30,
            "How many seconds at the end of your input the model listens to (whole bars).",
            label="Input duration",
            minimum=1,
            maximum=600,
            unit="s",
        ),
        Param(
            "extension_duration",
            "float",
            20,
            "How many seconds of music to add after your input (to the nearest beat).",
            label="Extension duration",
            minimum=1,
            maximum=30,
            unit="s",
        ),
        Param(
            "texture",
            "choice",
            "auto",
            "Auto continues a melody as a melody and chords as chords; monophonic or "
            "polyphonic asks for one or the other.",
            label="Texture",
            choices=("auto", "monophonic", "polyphonic"),
        ),
    ),
    rules=(check_sampling_threshold,),
)

TECHNIQUES: dict[str, Technique] = {
    "arcnn": Technique(
        name="arcnn",
        title="AR-CNN (Bach)",
        description=(
            "Harmonises your melody in four voices in the style of Bach's chorales: a "
            "network trained to fill in any hidden part of a chorale writes the alto, "
            "tenor and bass, and rewrites them over many passes, each seeing all the "
            "others, and ends on the home chord where your melody ends at home. Your "
            "melody stays, except notes the network finds clearly out of place, if you "
            "allow it to change them."
        ),
        params=ARCNN_PARAMS,
        module="generation.arcnn.gibbs",
        checkpoint="arcnn",
        # 2: four voices by Gibbs sampling (AR-CNN v2, Coconet's idea); 3: input notes
        # redrawn whole with a pull to their pitch, the parallels prior for lower voices
        # fixed, a cost on sitting on one pitch over the beat; 4: sixteenth-note passing
        # notes in the written voices (generation.arcnn.figures); 5: a rewritten input
        # voice keeps its own timing (dotted rhythms, sixteenths), not the grid's; 6: a
        # cost on holding a pitch between beats in a written voice (OFFBEAT_HOLD_COST);
        # 7: a melody ending on its tonic triad from the first half of its last bar ends
        # on the tonic chord over the tonic, held, its last note kept (final_chord_of);
        # 8: an input note is redrawn as another pitch, never deleted, and a written
        # voice never rests while the input's melody sounds (a lone note after a rest
        # went, and the whole output with it)
        code_version="8",
        training_module="generation.arcnn.network",
        reports_progress=True,
        # bench/bench_generation_cost.py, load average 6-10: 1000 steps on 32 bars 21.9 s
        # with the 96-channel network (0.012 s/unit); the 144-channel one is 1.54 times
        # slower (bench/bench_arcnn.py back to back, quiet: 8.59 -> 13.24 s)
        cost=CostModel("sampling_iterations", arcnn_units, 0.019, 1.0),
    ),
    "gan": Technique(
        name="gan",
        title="GAN accompaniment",
        description=(
            "Adds three voices under your melody in the style you pick: a small U-Net "
            "generator trained against a critic (WGAN-GP) on a corpus of that style, "
            "window by window with the voices carried across the seams; in the chorale "
            "style each voice is then written again, hearing the other two."
        ),
        params=GAN_PARAMS,
        module="generation.gan.model",
        training_module="generation.gan.training",
        checkpoint=STYLES[DEFAULT_STYLE].checkpoint,
        # 2: voice-leading Viterbi decoding (generation/gan/decoding.py); 3: parallels
        # forbidden, SATB ranges, final cadence, held inner voices costed, chords reduced;
        # 4: passing notes and suspensions written after decoding (generation/gan/ornaments.py);
        # 5: sixteenth-note passing notes in the chorale style (generation/figures.py);
        # 6: the chorale generator trained with voice context writes each voice again
        # given the others, and the decoder costs repeated notes and the bass apart;
        # 7: the chorale decoder sees each line's contour (a cost on turning back), a
        # beat left empty between onsets a beat and a half apart gets a note, fewer
        # suspensions; 8: the chorale voices hold their chord under the melody's phrase
        # ends
        code_version="8",
        more_checkpoints=tuple(s.checkpoint for s in STYLES.values() if s.name != DEFAULT_STYLE),
        styles=tuple(STYLES.values()),
        cost=QUICK,
    ),
    "transformer": Technique(
        name="transformer",
        title="Transformer",
        description=(
            "Extends your track by up to 30 seconds in its tempo, meter and instrument: a "
            "small Transformer trained on folk tunes and Bach's chorales writes what comes "
            "next, one note at a time. In a four-part piece, the voices under its melody "
            "are then written by the AR-CNN's network."
        ),
        params=TRANSFORMER_PARAMS,
        module="generation.transformer.model",
        training_module="generation.transformer.training",
        checkpoint="transformer",
        # A four-part continuation's lower voices are written by the AR-CNN's network
        # (generation/transformer/voicing.py): its weights are part of the version too.
        more_checkpoints=("arcnn",),
        # 2: steered decoding (generation/transformer/steering.py): voices kept one per
        # track without parallel fifths or octaves, the input's register, a final tonic
        # cadence, a memory of the input's bars; 3: a four-part continuation's alto, tenor
        # and bass written again by the AR-CNN's network under the Transformer's melody;
        # 4: those voices drawn with the AR-CNN's code version 6 (its off-beat hold cost)
        code_version="4",
        reports_progress=True,
        # 30 s of music after 32 bars: 2.7 s
        cost=CostModel("extension_duration", transformer_units, 0.08, 0.5),
    ),
}


def get_technique(name: str) -> Technique:
    try:
        return TECHNIQUES[name]
    except KeyError:
        known = ", ".join(sorted(TECHNIQUES))
        raise UnknownTechniqueError(
            f"Unknown technique {name!r}; the techniques are {known}."
        ) from None


def version_status(version: str) -> versions.VersionStatus:
    """Whether any technique here can run ``version`` (one another service made, too)."""
    name = versions.technique_of(version)
    if name not in TECHNIQUES:
        known = ", ".join(sorted(TECHNIQUES))
        return versions.VersionStatus(
            version,
            versions.GONE,
            f"the model version {version} names no generator we ship (we ship {known})",
        )
    return TECHNIQUES[name].version_status(version)


def check_input(score: Score) -> None:
    """The rules every generator shares: pitched notes, and at most ``MAX_BARS`` bars."""
    if not any(track.notes for track in score.pitched_tracks()):
        raise GenerationInputError("The input has no pitched notes; add at least one note.")
    if score.measured_bar_count > MAX_BARS:
        raise GenerationInputError(
            f"The input is {score.length_in_bars}; the limit is {MAX_BARS} bars. "
            "Use a shorter excerpt."
        )


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise GenerationParamError(
            "seed", f"seed must be a whole number between 0 and {MAX_SEED}, not {seed!r}."
        )
    return seed


def generate(
    technique: str,
    score: Score,
    params: Mapping[str, Any] | None,
    seed: int,
    progress: Callable[[float], None] | None = None,
    version: str | None = None,
) -> Score:
    """Run ``technique`` on ``score``: the one entry point for the studio and the CLI.

    Raises :class:`~generation.errors.GenerationError` subclasses with a message for the
    participant (unknown technique, bad parameter, unusable input, a model version that
    cannot run here). The same technique, checkpoint, score, parameters and seed always
    give the same result. ``progress``, if given, hears the finished share (0-1) as a
    technique that reports it goes on. ``version`` runs an archived model version (None:
    the shipped one).
    """
    entry = get_technique(technique)
    values = entry.params.validate(params)
    seed = check_seed(seed)
    check_input(score)
    options: dict[str, Any] = {}
    if version is not None and version != entry.version:
        status = entry.version_status(version)
        if status.state == versions.GONE:
            raise ModelVersionError(status.reason[:1].upper() + status.reason[1:] + ".")
        options["weights"] = status.weights
    if progress is not None and entry.reports_progress:
        options["progress"] = progress
    result = entry.generate_function()(score.copy(), values, seed, **options)
    return replace(result, tempo=score.tempo)
