"""Training the Transformer: pieces of the corpus packed into rows of tokens, the loss,
the run (``python -m generation.train transformer`` lands here through ``TRAINING``,
which the registry names). The network, the config and sampling are in
:mod:`generation.transformer.model`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generation.training import (
    TrainingEntry,
    TrainOptions,
    adamw,
    clip_and_step,
    finish_training,
    run_training,
    seed_everything,
)
from generation.transformer.model import (
    CONFIG_HELP,
    IGNORE,
    IntArray,
    MusicTransformer,
    TransformerConfig,
    packed_mask,
)
from generation.transformer.tokens import (
    CORPUS_OF_STYLE,
    STYLES,
    VOCAB,
    TokenPiece,
    tokenized_split,
)

# ----- data --------------------------------------------------------------------------


@dataclass
class Batch:
    tokens: torch.Tensor  # (B, T) inputs
    frontier: torch.Tensor  # (B, T) the frontier after each input token
    targets: torch.Tensor  # (B, T) next tokens, IGNORE across pieces and for the meter
    positions: torch.Tensor  # (B, T) restarting at 0 for every piece
    mask: torch.Tensor  # (B, 1, T, T)


class PackedRows:
    """Rows of ``context + 1`` tokens packed from random pieces."""

    def __init__(
        self, config: TransformerConfig, pieces: Mapping[str, Sequence[TokenPiece]]
    ) -> None:
        self.config = config
        self.pieces = {style: list(pieces.get(style, ())) for style in STYLES}

    @classmethod
    def for_split(cls, config: TransformerConfig, split: str) -> PackedRows:
        return cls(config, {style: tokenized_split(style, split) for style in STYLES})

    def describe(self) -> dict[str, Any]:
        return {
            style: {"pieces": len(pieces), "tokens": int(sum(len(p.tokens) for p in pieces))}
            for style, pieces in self.pieces.items()
        }

    def batch(self, size: int, rng: np.random.Generator) -> Batch:
        rows = [self._row(rng) for _ in range(size)]
        tokens, frontier, documents, positions = (
            torch.from_numpy(np.stack([row[i] for row in rows])) for i in range(4)
        )  # each (B, T + 1)
        targets = tokens[:, 1:].clone()
        crossing = documents[:, 1:] != documents[:, :-1]
        targets[crossing | _is_prefix(targets)] = IGNORE
        return Batch(
            tokens[:, :-1],
            frontier[:, :-1],
            targets,
            positions[:, :-1],
            packed_mask(documents[:, :-1]),
        )

    def _row(self, rng: np.random.Generator) -> tuple[IntArray, ...]:
        length = self.config.context + 1
        parts: list[tuple[IntArray, ...]] = []
        filled = 0
        while filled < length:
            tokens, frontier = (a[: length - filled] for a in self._piece(rng))
            number = np.full(len(tokens), len(parts))
            parts.append((tokens, frontier, number, np.arange(len(tokens))))
            filled += len(tokens)
        return tuple(np.concatenate([part[i] for part in parts]) for i in range(4))

    def _piece(self, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """One piece's tokens and frontier from bar 0 or (if longer than the context) from
        a random bar that leaves at least half a context, with the style and meter first."""
        style = "chorale" if rng.random() < self.config.chorale_share else "folk"
        if not self.pieces[style]:  # a test's rows may hold one style only
            style = next(s for s in STYLES if self.pieces[s])
        piece = self.pieces[style][int(rng.integers(len(self.pieces[style])))]
        if len(piece.tokens) <= self.config.context:
            return piece.tokens, piece.features
        later = piece.bars[piece.bars <= len(piece.tokens) - self.config.context // 2]
        start = int(rng.choice(later)) if len(later) else 2
        return tuple(  # type: ignore[return-value]
            np.concatenate([a[:2], a[start:]]) for a in (piece.tokens, piece.features)
        )


def _is_prefix(tokens: torch.Tensor) -> torch.Tensor:
    return (tokens >= VOCAB.style) & (tokens < VOCAB.position)


def batch_loss(model: MusicTransformer, batch: Batch) -> torch.Tensor:
    logits = model(batch.tokens, batch.frontier, batch.positions, batch.mask)  # (B, T, vocab)
    return F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=IGNORE)


# ----- training ----------------------------------------------------------------------


def train(config: TransformerConfig, options: TrainOptions, out: Path) -> dict[str, Any]:
    seed_everything(options.seed, options.threads)
    started = time.perf_counter()
    rows = PackedRows.for_split(config, "train")
    validation_rows = PackedRows.for_split(config, "validation")
    validation_rng = np.random.default_rng(options.seed + 1)
    validation = [
        validation_rows.batch(options.batch_size, validation_rng)
        for _ in range(options.eval_batches)
    ]
    rng = np.random.default_rng(options.seed)
    model = MusicTransformer(config)
    optimizer = adamw(model, options)

    def step(_: int) -> dict[str, float]:
        model.train()
        loss = batch_loss(model, rows.batch(options.batch_size, rng))
        clip_and_step(model, optimizer, loss, options)
        return {"loss": loss.item()}

    def validation_loss(net: nn.Module) -> float:
        assert isinstance(net, MusicTransformer)
        net.eval()
        with torch.no_grad():
            return float(np.mean([batch_loss(net, b).item() for b in validation]))

    log = run_training(
        step,
        lambda: {"loss": validation_loss(model)},
        options,
        [optimizer],
        description="transformer",
    )
    data = {
        "corpora": CORPUS_OF_STYLE,
        "train_split": rows.describe(),
        "validation_split": validation_rows.describe(),
        "tokens_seen": log.steps * options.batch_size * config.context,
        "setup_seconds": round(time.perf_counter() - started - log.seconds, 1),
    }
    return finish_training(
        model, config, out, log, options, data, validation_loss, "Transformer loss (nats/token)"
    )


TRAINING = TrainingEntry(
    config_class=TransformerConfig,
    options=TrainOptions(
        steps=12000,
        max_minutes=60,
        batch_size=16,
        lr=2e-3,
        warmup_steps=40,
        eval_every=100,
        eval_batches=8,
    ),
    train=train,
    config_help=CONFIG_HELP,
)
