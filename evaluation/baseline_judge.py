"""The baseline: AWS DeepComposer Chartbusters' "AI judge", rebuilt from its description.

DESIGN.md §3: the judge scores a piece's first 8 bars with a small CNN classifier (real
versus fake) and a Kolmogorov-Smirnov distance between the piece's pitch histogram and
the reference (Bach's), combined as ``final = 50 * p_classifier + 50 * (1 - KS)`` on
0-100. It is what our evaluation must clearly beat, so it is kept as described: one
uncalibrated classifier over a binary 128-pitch piano roll of 8 bars at 16th notes (the
128 x 128 grid of DeepComposer's AR-CNN), no ensemble, no augmentation, no gate.

Choices the description leaves open, made in the baseline's favour where it matters:
- it is trained on the same train split and the same fake families as our critics
  (:mod:`evaluation.fakes`), on every 8-bar stretch of a piece (starting every two bars)
  rather than on the first 8 bars alone, which would leave it a few hundred examples;
- "the first 8 bars" are bars of the piece's meter, padded (or cut) to 128 steps, so a
  3/4 piece shows 24 beats and then silence;
- both pitch histograms count notes (not durations) of the pitched tracks: the
  reference over all its train pieces, the entry over its first 8 bars; KS is the largest
  absolute difference of their cumulative distributions over MIDI pitch 0-127, and 1 for
  an entry without notes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from evaluation.critic_training import auroc, round_to_half
from evaluation.fakes import BUILTIN, make_fake
from evaluation.windows import WindowSpec, score_windows
from music.score import Score
from music.transforms import crop

STATE_FORMAT = 1
BARS = 8
FloatArray = npt.NDArray[np.float64]
Rolls = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class BaselineConfig:
    """The classifier and its training."""

    channels: tuple[int, ...] = (8, 16, 32)
    hidden: int = 64
    families: tuple[str, ...] = BUILTIN
    hop_bars: int = 2  # 8-bar training stretches start every hop_bars bars
    epochs: int = 6
    batch_size: int = 64
    lr: float = 1e-3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineConfig:
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)


QUICK = BaselineConfig(channels=(4, 4, 8), hidden=8, epochs=2, hop_bars=4)
ROLL_SPEC = WindowSpec(steps_per_beat=4, window_beats=32, hop_beats=32, pitch_low=0, pitch_high=128)


class BaselineClassifier(nn.Module):
    """A small CNN in the style of 2020: conv + ReLU + max-pool blocks, then two dense
    layers to one logit, over a (1, 128, 128) binary piano roll."""

    def __init__(self, config: BaselineConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for width in config.channels:
            layers += [nn.Conv2d(previous, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4))
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Linear(previous * 16, config.hidden),
            nn.ReLU(),
            nn.Linear(config.hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.features(x)).squeeze(1)  # (B, 1, 128, 128) -> (B,)


class BaselineJudge:
    """``score(piece)`` on 0-100: 50 * p(real) of the classifier + 50 * (1 - KS)."""

    def __init__(
        self,
        classifier: BaselineClassifier,
        reference_histogram: npt.ArrayLike,
        config: BaselineConfig,
        meta: dict[str, Any] | None = None,
    ) -> None:
        histogram = np.asarray(reference_histogram, dtype=np.float64)
        if histogram.shape != (128,) or not histogram.sum() > 0:
            raise ValueError("the reference histogram needs 128 counts, not all zero")
        self.classifier = classifier.eval()
        self.reference_histogram = histogram
        self.reference_cdf = np.cumsum(histogram) / histogram.sum()
        self.config = config
        self.meta = dict(meta or {})

    def score(self, score: Score) -> float:
        return float(self.score_many([score])[0])

    def score_many(self, scores: Sequence[Score]) -> FloatArray:
        p_real = self.classifier_p(scores)
        ks = np.array([self.ks(s) for s in scores])
        return np.asarray(50.0 * p_real + 50.0 * (1.0 - ks))

    @torch.no_grad()
    def classifier_p(self, scores: Sequence[Score]) -> FloatArray:
        """The classifier's p(real) for the first 8 bars of each piece."""
        if not scores:
            return np.zeros(0)
        rolls = np.stack([first_bars_roll(s) for s in scores])
        logits = self.classifier(torch.from_numpy(rolls[:, None].astype(np.float32)))
        return torch.sigmoid(logits).double().numpy()

    def ks(self, score: Score) -> float:
        """KS distance between the first 8 bars' pitch histogram and the reference's."""
        histogram = pitch_histogram([crop(score, 0, BARS)])
        if not histogram.sum():
            return 1.0
        cdf = np.cumsum(histogram) / histogram.sum()
        return float(np.abs(cdf - self.reference_cdf).max())

    # ----- persistence ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "config": self.config.to_dict(),
            "weights": {k: v.detach().half() for k, v in self.classifier.state_dict().items()},
            "reference_histogram": self.reference_histogram.tolist(),
            "meta": self.meta,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BaselineJudge:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown baseline judge state format {state.get('format')!r}")
        config = BaselineConfig.from_dict(state["config"])
        classifier = BaselineClassifier(config)
        classifier.load_state_dict({k: v.float() for k, v in state["weights"].items()})
        return cls(classifier, state["reference_histogram"], config, state.get("meta"))

    def save(self, path: str | Path) -> None:
        torch.save(self.state(), Path(path))

    @classmethod
    def load(cls, path: str | Path) -> BaselineJudge:
        return cls.from_state(torch.load(Path(path), map_location="cpu", weights_only=True))


def first_bars_roll(score: Score, start_bar: int = 0) -> Rolls:
    """The binary (128 steps, 128 pitches) roll of 8 bars from ``start_bar``."""
    return score_windows(crop(score, start_bar, start_bar + BARS), ROLL_SPEC)[0, 0]


def pitch_histogram(scores: Sequence[Score]) -> FloatArray:
    """Note counts per MIDI pitch over the pitched tracks of ``scores``."""
    pitches = [n.pitch for s in scores for n in s.all_notes()]
    return np.bincount(np.asarray(pitches, dtype=np.int64), minlength=128).astype(np.float64)


def train_baseline_judge(
    train_scores: Sequence[Score],
    val_scores: Sequence[Score],
    seed: int = 0,
    *,
    quick: bool = False,
    config: BaselineConfig | None = None,
    progress: bool = False,
) -> BaselineJudge:
    """Train the classifier on 8-bar stretches of real train pieces and of fakes made
    from them (balanced), and take the reference histogram from the train pieces.
    ``judge.meta`` records the losses, time and validation AUROC per family."""
    config = config or (QUICK if quick else BaselineConfig())
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    real = np.concatenate([_stretches(s, config) for s in train_scores])
    fakes = [
        _stretches(make_fake(f, s, rng), config, keep=2, rng=rng)
        for f in config.families
        for s in train_scores
    ]
    fake = np.concatenate(fakes)
    classifier = BaselineClassifier(config)
    losses = _fit(classifier, real, fake, config, rng, progress)
    round_to_half(classifier)  # what the saved judge holds, so a reload scores the same
    judge = BaselineJudge(classifier, pitch_histogram(train_scores), config)
    judge.meta = {
        "seed": seed,
        "losses": losses,
        "train_seconds": round(time.perf_counter() - started, 1),
        "val_auroc": validation_aurocs(judge, val_scores, config.families, seed),
    }
    return judge


def validation_aurocs(
    judge: BaselineJudge, scores: Sequence[Score], families: Sequence[str], seed: int = 0
) -> dict[str, float]:
    """AUROC of the final score, real pieces versus one fake of each per family."""
    if not scores:
        return {}
    rng = np.random.default_rng([seed, 1])
    real = judge.score_many(scores)
    return {
        f: auroc(real, judge.score_many([make_fake(f, s, rng) for s in scores])) for f in families
    }


def _stretches(
    score: Score,
    config: BaselineConfig,
    keep: int | None = None,
    rng: np.random.Generator | None = None,
) -> Rolls:
    """Rolls of the 8-bar stretches starting every ``hop_bars`` bars (``keep`` at random)."""
    starts = list(range(0, max(score.bar_count - BARS + 1, 1), config.hop_bars))
    if keep is not None and rng is not None and len(starts) > keep:
        starts = sorted(rng.choice(starts, size=keep, replace=False).tolist())
    return np.stack([first_bars_roll(score, b) for b in starts])


def _fit(
    classifier: BaselineClassifier,
    real: Rolls,
    fake: Rolls,
    config: BaselineConfig,
    rng: np.random.Generator,
    progress: bool,
) -> list[float]:
    """Balanced batches, half real and half fake, for ``epochs`` passes over the reals."""
    half = config.batch_size // 2
    steps = max(len(real) // half, 1)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=config.lr)
    labels = torch.cat([torch.ones(half), torch.zeros(half)])
    losses = []
    classifier.train()
    for _ in tqdm(range(config.epochs), desc="baseline", unit="epoch", disable=not progress):
        order = rng.permutation(len(real))
        total = 0.0
        for step in range(steps):
            picked = order[step * half : (step + 1) * half]
            if len(picked) < half:
                picked = rng.integers(0, len(real), size=half)
            rolls = np.concatenate([real[picked], fake[rng.integers(0, len(fake), size=half)]])
            logits = classifier(torch.from_numpy(rolls[:, None].astype(np.float32)))
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        losses.append(total / steps)
    classifier.eval()
    return losses
