"""GAN accompaniment: three voices under a melody, in a style learnt from a corpus.

DeepComposer's GAN (DESIGN.md §3) rebuilt for CPUs and long inputs. A U-Net generator
reads a window of the melody's piano roll (plus the seam context and the meter) and
noise, and writes three monophonic voices: per voice and step, a softmax over the
pitches and "rest", and the probability that a new note starts. A conditional critic
reads the melody, the meter and the four voices, full-range and folded to pitch classes.
Loss: WGAN-GP with DeepComposer's lab settings (lambda 10, Adam 1e-3 with betas
(0.5, 0.9), 5 critic steps per generator step), after a supervised warm-up of the
generator and with a pix2pix-style cross-entropy to the real voices beside it; the
critic sees the voices as they will be decoded (argmax, gradients passed straight
through). ``generation/checkpoints/gan/MODEL_CARD.md`` says why.

Keys: the melody is moved to the key signature of C (its Krumhansl-Schmuckler key's
relative major goes to C) and by octaves to the register the style was trained in,
accompanied there, and everything is moved back; training pieces get the same move,
estimated from their top voice. Long inputs (up to 32 bars): windows of
``window_steps`` overlap by ``context_steps``; each window after the first gets the
previous window's last ``context_steps`` of generated voices as input (the generator
was trained to continue real context), so the voices run on across the seams. Each
window's voices are read off the generator's per-step distributions by the style's
voice-leading Viterbi decoder (:mod:`generation.gan.decoding`: long enough notes and
rests, few clashes, no parallel fifths or octaves), with the onset channel keeping
repeated notes repeated; runs shorter than ``min_note_steps`` merge into their neighbour.
This module hands the decoder what depends on the input (:mod:`generation.gan.constraints`:
SATB ranges in grid columns, the final chord, a tonic bass under the melody's phrase ends).
A melody track with chords is read as its top line (:func:`generation.gan.baseline.top_line`).

Training is in :mod:`generation.gan.training`; the studio's styles in :mod:`generation.gan.styles`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from generation.checkpoint import load_archived, load_checkpoint, parameter_count, shipped_path
from generation.data import steps_per_bar
from generation.gan.baseline import (
    accompanied,
    accompaniment_velocity,
    melody_index,
    top_line,
)
from generation.gan.constraints import (
    Ending,
    cadence_holds,
    column_ranges,
    ending,
    final_chord,
    phrase_bias,
    phrase_ends,
    still_steps,
)
from generation.gan.decoding import Decoding, decode_window, runs
from generation.gan.decoding import Window as DecodingWindow
from generation.gan.lines import key_shift, line, meter_planes, to_columns
from generation.gan.ornaments import keep_moving, ornament, sixteenths
from generation.gan.styles import STYLES, GanStyle, Range
from generation.params import ParamValue
from music.harmoniser import harmoniser_key
from music.lines import beat_length, grid_line
from music.pianoroll import _step as tick_to_step
from music.pianoroll import _tick as step_to_tick
from music.score import Note, Score

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
VOICES = 3  # accompaniment voices, high to low
ORNAMENT_STREAM = 1  # the ornaments' random numbers: a stream of the seed apart from the noise's
GENERATOR_INPUTS = 2 + 2 * VOICES + 1 + 2  # melody, onsets; context, onsets; mask; meter
VOICE_CONTEXT_INPUTS = GENERATOR_INPUTS - 1 + VOICES  # ... a mask per voice


@dataclass
class GanConfig:
    style: str = "chorale"  # a name in generation.gan.styles.STYLES (sets the corpus)
    window_steps: int = 32  # 16 beats: 4 bars of 4/4 at 2 steps (eighth notes) per beat
    context_steps: int = 8  # seam overlap: the previous window's last 4 beats
    steps_per_beat: int = 2
    low_pitch: int = 28  # the grid's pitch range is [low_pitch, high_pitch)
    high_pitch: int = 92
    base_channels: int = 16  # the first U-Net level; doubling per level
    depth: int = 3  # strided 4x4 convolutions down (and upsamplings up)
    upsample: str = "transpose"  # "transpose" (ours) or "nearest" (DeepComposer's)
    kernel: int = 4  # the convolution after nearest up-sampling
    z_channels: int = 16  # noise channels at the bottleneck (DeepComposer's: 512)
    critic_channels: int = 16
    critic_steps: int = 5
    pretrain_steps: int = 1500  # generator-only steps on the cross-entropy before the GAN
    gp_weight: float = 10.0
    recon_weight: float = 1.0  # pix2pix-style cross-entropy to the real voices (0: pure GAN)
    straight_through: bool = True  # the critic sees argmax voices (gradients pass through)
    context_pct: float = 50.0  # training windows that get real seam context
    # True: a context mask per voice, and training windows where some voices are given
    # whole (voice_context_pct of them), so that a voice can be generated again given
    # the others (Decoding.regenerate_rounds)
    voice_context: bool = False
    voice_context_pct: float = 50.0
    min_note_steps: int = 1  # shorter runs merge into their neighbours
    melody_center: int = 67  # training melodies' median pitch after the key move (measured)

    # Fields added after checkpoints were saved, with the values those were trained with
    # (generation.checkpoint.config_from_meta fills them in for such checkpoints).
    LEGACY_DEFAULTS: ClassVar[dict[str, Any]] = {"voice_context": False, "voice_context_pct": 50.0}

    @property
    def pitches(self) -> int:
        return self.high_pitch - self.low_pitch

    @property
    def hop_steps(self) -> int:
        return self.window_steps - self.context_steps

    @property
    def generator_inputs(self) -> int:
        return VOICE_CONTEXT_INPUTS if self.voice_context else GENERATOR_INPUTS


# DeepComposer's lab generator (U-Net on 32 x 128, 64 filters doubling over 4 levels,
# 4x4 kernels, (2, 8, 512) noise), for the latency comparison in bench/bench_gan.py.
DEEPCOMPOSER_CONFIG = GanConfig(
    window_steps=32,
    context_steps=8,
    steps_per_beat=4,
    low_pitch=0,
    high_pitch=128,
    base_channels=64,
    depth=4,
    upsample="nearest",
    kernel=4,
    z_channels=512,
)

CONFIG_HELP = {
    "style": "the style to train: " + ", ".join(STYLES),
    "window_steps": "time steps per window (16 beats at 2 steps per beat)",
    "context_steps": "steps of the previous window given at each seam",
    "base_channels": "channels of the first U-Net level (doubling per level)",
    "recon_weight": "weight of the cross-entropy to the real voices (0: pure WGAN-GP)",
    "critic_steps": "critic updates per generator update",
    "voice_context": "train with whole voices given, so a voice can be generated again",
    "voice_context_pct": "share of training windows, per cent, that give one or two voices whole",
}


# ----- the networks ------------------------------------------------------------------


class Generator(nn.Module):
    """U-Net from (B, ``config.generator_inputs``, T, P) and noise to voice logits.

    DeepComposer's shape: 4x4 stride-2 convolutions down (LeakyReLU, batch norm after the
    first), noise concatenated at the bottleneck, up-sampling with skip concatenation;
    then a 1x1 convolution that sees the input again (exact pitches) and two heads.
    Returns ``(pitch_logits, onset_logits)``: (B, V, T, 1 + P) with index 0 = rest, and
    (B, V, T).
    """

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.base_channels * 2**level for level in range(config.depth)]
        self.down = nn.ModuleList()
        for level, width in enumerate(widths):
            layers: list[nn.Module] = [
                nn.Conv2d(widths[level - 1] if level else config.generator_inputs, width, 4, 2, 1),
                nn.LeakyReLU(0.2),
            ]
            if level:  # DeepComposer: no batch norm on the first level
                layers.append(nn.BatchNorm2d(width))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        channels = widths[-1] + config.z_channels
        for level in reversed(range(1, config.depth)):
            self.up.append(self._up(channels, widths[level - 1]))
            channels = 2 * widths[level - 1]  # after concatenating the skip
        self.top = self._up(channels, widths[0])
        self.last = nn.Sequential(
            nn.Conv2d(widths[0] + config.generator_inputs, widths[0], 1), nn.LeakyReLU(0.2)
        )
        self.pitch_head = nn.Conv2d(widths[0], VOICES, 1)
        self.step_head = nn.Conv1d(2 * widths[0], 2 * VOICES, 3, padding=1)  # rest, onset

    def _up(self, channels_in: int, channels_out: int) -> nn.Sequential:
        """Twice the resolution: a 4x4 stride-2 transposed convolution (ours), or
        nearest up-sampling then a ``kernel`` convolution (DeepComposer's)."""
        layers: list[nn.Module]
        if self.config.upsample == "transpose":
            layers = [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1)]
        else:
            layers = [
                nn.Upsample(scale_factor=2.0),
                nn.Conv2d(channels_in, channels_out, self.config.kernel, padding="same"),
            ]
        return nn.Sequential(*layers, nn.BatchNorm2d(channels_out), nn.ReLU())

    def noise_shape(self, batch: int) -> tuple[int, int, int, int]:
        scale = 2**self.config.depth
        c = self.config
        return (batch, c.z_channels, c.window_steps // scale, c.pitches // scale)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        skips = []
        h = x  # (B, inputs, T, P)
        for block in self.down:
            h = block(h)  # (B, C_l, T / 2^(l+1), P / 2^(l+1))
            skips.append(h)
        h = torch.cat([skips.pop(), z], 1)  # (B, C_last + Z, T / 2^depth, P / 2^depth)
        for block in self.up:
            h = torch.cat([block(h), skips.pop()], 1)  # (B, 2 C_l, ...) one level up
        h = self.last(torch.cat([self.top(h), x], 1))  # (B, C_0, T, P)
        pooled = torch.cat([h.mean(3), h.amax(3)], 1)  # (B, 2 C_0, T)
        rest, onset = self.step_head(pooled).chunk(2, dim=1)  # (B, V, T) each
        pitch = self.pitch_head(h)  # (B, V, T, P)
        return torch.cat([rest.unsqueeze(-1), pitch], -1), onset


# ----- the networks' inputs and outputs -------------------------------------------


@dataclass
class Batch:
    melody: torch.Tensor  # (B, T) column or -1
    melody_onsets: torch.Tensor  # (B, T) bool
    voices: torch.Tensor  # (B, V, T) column or -1
    voice_onsets: torch.Tensor  # (B, V, T) bool
    meter: torch.Tensor  # (B, 2, T)
    mask: torch.Tensor  # (B, T) or (B, V, T): 1 on the steps (of a voice) given as context


def one_hot(columns: torch.Tensor, pitches: int) -> torch.Tensor:
    """(..., T) columns (-1 = rest) -> (..., T, P) float roll."""
    return F.one_hot(columns + 1, pitches + 1)[..., 1:].float()


def voice_mask(batch: Batch) -> torch.Tensor:
    """(B, V, T): 1 where a voice's step is given as context (a (B, T) mask: every voice)."""
    if batch.mask.dim() == 3:
        return batch.mask
    return batch.mask[:, None].expand(-1, VOICES, -1)


def generator_input(batch: Batch, pitches: int, per_voice: bool = False) -> torch.Tensor:
    """(B, GENERATOR_INPUTS, T, P), or with ``per_voice`` a mask plane per voice
    (B, VOICE_CONTEXT_INPUTS, T, P)."""
    melody = one_hot(batch.melody, pitches)  # (B, T, P)
    mask = voice_mask(batch)[..., None]  # (B, V, T, 1)
    context = one_hot(batch.voices, pitches) * mask  # (B, V, T, P)
    planes = [
        melody[:, None],
        (melody * batch.melody_onsets[..., None])[:, None],
        context,
        context * batch.voice_onsets[..., None],
        (mask if per_voice else mask[:, :1]).expand(-1, -1, -1, pitches),
        batch.meter[..., None].expand(-1, -1, -1, pitches),
    ]
    return torch.cat(planes, 1)


# ----- accompanying ------------------------------------------------------------------


@dataclass
class Melody:
    """The input melody on the model's grid, and how to move voices back."""

    columns: IntArray  # (steps,) column or -1
    onsets: BoolArray  # (steps,)
    meter: npt.NDArray[np.float32]  # (2, steps)
    steps: int  # up to the end of the melody's last note, rounded up to a beat
    move: int  # semitones added to the input's pitches (key and octave)
    ending: Ending | None = None
    # (steps,) column or -1: the melody as generation.stats hears it (each step's top
    # pitch, a note counted from the step its start falls in), which the decoder keeps
    # its voices from parallels and clashes with
    heard: IntArray | None = None
    beat_steps: int = 2  # steps per beat of the input's meter (4 in 4/2, 3 in 6/8)
    tonic: int = 0  # the melody's tonic pitch class (music.harmoniser.harmoniser_key)
    phrase_ends: list[tuple[int, int]] = field(default_factory=list)  # long tonic notes
    holds: list[tuple[int, int]] = field(default_factory=list)  # constraints.cadence_holds


def prepare_melody(score: Score, config: GanConfig) -> Melody:
    """The melody track's :func:`top_line` on the model's grid, in C and its register."""
    notes = top_line(score.tracks[melody_index(score)].notes, score.resolution)
    spb = config.steps_per_beat
    last = max(tick_to_step(n.end, spb, score.resolution) for n in notes)
    steps = -(-last // spb) * spb
    pitches, onsets = line(notes, steps, spb, score.resolution)
    move = key_shift(notes)
    sounding = pitches[pitches >= 0] + move
    center = float(np.median(sounding)) if sounding.size else config.melody_center
    move += 12 * round((config.melody_center - center) / 12)
    columns = to_columns(
        np.where(pitches >= 0, pitches + move, -1), config.low_pitch, config.pitches
    )
    meter = meter_planes(0, steps, steps_per_bar(score, spb), spb)
    heard = grid_line(notes, steps, spb, score.resolution)
    heard = to_columns(np.where(heard >= 0, heard + move, -1), config.low_pitch, config.pitches)
    final = ending(notes, spb, score.resolution)
    beat = max(1, round(beat_length(score) * spb / score.resolution))
    key, beat_ticks = harmoniser_key(notes), beat_length(score)
    phrases = phrase_ends(notes, key[0], beat_ticks, spb, score.resolution)
    holds = cadence_holds(notes, key, beat_ticks, spb, score.resolution)
    return Melody(columns, onsets, meter, steps, move, final, heard, beat, key[0], phrases, holds)


def window_starts(steps: int, config: GanConfig) -> list[int]:
    """Window starts every ``hop_steps`` until a window reaches ``steps``."""
    starts = [0]
    while starts[-1] + config.window_steps < steps:
        starts.append(starts[-1] + config.hop_steps)
    return starts


@torch.no_grad()
def accompany_melody(
    model: Generator,
    melody: Melody,
    seed: int,
    decoding: Decoding | None = None,
    ranges: Sequence[Range] | None = None,
) -> tuple[IntArray, BoolArray]:
    """The voices as ``(columns, onsets)``, each (V, steps), window by window, read off
    the generator by ``decoding`` (default: the plain argmax per step) within the
    voices' ``ranges`` (alto, tenor, bass; default: anywhere) and ending on the melody's
    final chord. A generator trained with voice context (``GanConfig.voice_context``)
    then generates each voice of each window again, given the others whole, for
    ``decoding.regenerate_rounds`` rounds (with the Viterbi decoder only)."""
    decoding = decoding or Decoding(viterbi=False)
    c = model.config
    starts = window_starts(melody.steps, c)
    total = starts[-1] + c.window_steps
    pad = total - melody.steps
    mel = np.pad(melody.columns, (0, pad), constant_values=-1)
    heard = mel if melody.heard is None else np.pad(melody.heard, (0, pad), constant_values=-1)
    mel_onsets = np.pad(melody.onsets, (0, pad))
    meter = np.pad(melody.meter, ((0, 0), (0, pad)))
    voices = np.full((VOICES, total), -1, dtype=np.int64)
    onsets = np.zeros((VOICES, total), dtype=np.bool_)
    classes = (np.arange(c.pitches) + c.low_pitch - melody.move) % 12  # in the input's key
    bounds = None if ranges is None else column_ranges(ranges, melody.move - c.low_pitch, c.pitches)
    final = None
    if melody.ending is not None:
        final = final_chord(melody.ending, classes, (VOICES, total), melody.steps)
    bias = phrase_bias(
        melody.phrase_ends, classes == melody.tonic, (VOICES, total), decoding.phrase_cost
    )
    still = still_steps(melody.holds if decoding.hold_cadence_cost else [], total)
    noise = torch.Generator().manual_seed(seed)
    per_voice = c.voice_context

    def window_pass(index: int, start: int, only: int | None) -> None:
        """Generate window ``index`` and decode its voices (``only``: that voice again,
        the others given whole as context)."""
        window = slice(start, start + c.window_steps)
        first = c.context_steps if index else 0
        mask = np.zeros((VOICES, c.window_steps), dtype=np.float32)
        mask[:, :first] = 1.0
        if only is not None:
            mask[[v for v in range(VOICES) if v != only]] = 1.0
        batch = Batch(
            torch.from_numpy(mel[window])[None],
            torch.from_numpy(mel_onsets[window])[None],
            torch.from_numpy(voices[:, window].copy())[None],
            torch.from_numpy(onsets[:, window].copy())[None],
            torch.from_numpy(meter[:, window].copy())[None],
            torch.from_numpy(mask if per_voice else mask[0])[None],
        )
        z = torch.randn(model.noise_shape(1), generator=noise)
        pitch_logits, onset_logits = model(generator_input(batch, c.pitches, per_voice), z)
        decoded = decode_window(
            DecodingWindow(
                pitch_logits[0].log_softmax(-1).double().numpy(),
                onset_logits[0].double().numpy(),
                heard[window],
                voices[:, window].copy(),
                onsets[:, window].copy(),
                first,
                meter[1, window] > 0,
                bounds,
                None if final is None else final[:, window],
                decoding.hold_beats * melody.beat_steps,
                None if bias is None else bias[:, window],
                still[window],
            ),
            decoding,
            only,
        )
        voices[:, start + first : start + c.window_steps] = decoded[0]
        onsets[:, start + first : start + c.window_steps] = decoded[1]

    for index, start in enumerate(starts):
        window_pass(index, start, None)
    if per_voice and decoding.viterbi:
        for _ in range(decoding.regenerate_rounds):
            for index, start in enumerate(starts):
                for v in range(VOICES):
                    window_pass(index, start, v)
    return voices[:, : melody.steps], onsets[:, : melody.steps]


def voice_notes(
    columns: IntArray,
    onsets: BoolArray,
    melody: Melody,
    config: GanConfig,
    score: Score,
    velocity: int,
    voice_range: Range = (0, 127),
) -> list[Note]:
    """One voice's notes in the input's key and register, moved by octaves into
    ``voice_range`` where the decoder could not keep them there."""
    low, high = voice_range if voice_range[1] - voice_range[0] >= 11 else (0, 127)
    notes = []
    for column, start, end in runs(columns, onsets, config.min_note_steps):
        if column < 0:
            continue
        pitch = column + config.low_pitch - melody.move
        pitch += 12 * ((max(0, low - pitch) + 11) // 12) - 12 * ((max(0, pitch - high) + 11) // 12)
        begin = step_to_tick(start, config.steps_per_beat, score.resolution)
        finish = step_to_tick(end, config.steps_per_beat, score.resolution)
        notes.append(Note(begin, int(pitch), finish - begin, velocity))
    return notes


def accompany(score: Score, model: Generator, style: GanStyle, seed: int) -> Score:
    """``score``'s melody with three voices from ``model`` in ``style``'s instruments."""
    config = model.config
    melody = prepare_melody(score, config)
    ranges = style.ranges[1:]
    columns, onsets = accompany_melody(model, melody, seed, style.decoding, ranges)
    rng = np.random.default_rng([seed, ORNAMENT_STREAM])
    heard = melody.columns if melody.heard is None else melody.heard
    ornaments = (style.decoding.passing, style.decoding.suspension)
    beat, low = melody.beat_steps, config.low_pitch
    still = still_steps(melody.holds if style.decoding.hold_cadence_cost else [], melody.steps)
    columns, onsets = ornament(
        columns, onsets, heard, beat, low, *ornaments, rng, config.min_note_steps, still
    )
    if style.decoding.keep_moving:
        bounds = column_ranges(ranges, melody.move - low, config.pitches)
        melody_line = (heard, melody.onsets)
        columns, onsets = keep_moving(columns, onsets, melody_line, beat, bounds, rng, still)
    velocity = accompaniment_velocity(score)
    voices = [
        voice_notes(columns[v], onsets[v], melody, config, score, velocity, ranges[v])
        for v in range(VOICES)
    ]
    spb, more = config.steps_per_beat, style.decoding.sixteenths
    return accompanied(score, sixteenths(score, voices, more, melody.move, spb, rng), style)


@cache
def shipped_model(style: str) -> Generator:
    """The committed checkpoint of ``style``, loaded once per process."""
    model, _, _ = load_checkpoint(shipped_path("gan", style), GanConfig, Generator)
    return model


@lru_cache(maxsize=4)  # archived checkpoints a worker keeps loaded (0.2 MB each)
def archived_model(path: Path) -> Generator:
    """An archived checkpoint (an older model version)."""
    return load_archived(path, GanConfig, Generator)


def untrained_model(style: str, seed: int = 0) -> Generator:
    """The shipped architecture with fresh random weights: the model card's floor."""
    config = replace(shipped_model(style).config)
    torch.manual_seed(seed)
    return Generator(config).eval()


def generate(
    score: Score,
    params: Mapping[str, ParamValue],
    seed: int,
    weights: Mapping[str, Path] | None = None,
) -> Score:
    """The registry's entry point: ``score``'s melody accompanied in ``params["style"]``
    by the shipped model, or by an archived one in ``weights`` (an older model version)."""
    style = STYLES[str(params["style"])]
    archived = (weights or {}).get(style.checkpoint)
    model = shipped_model(style.name) if archived is None else archived_model(archived)
    return accompany(score, model, style, seed)


def describe(model: Generator) -> str:
    return f"GAN U-Net generator, {parameter_count(model) / 1e6:.2f} M parameters"
