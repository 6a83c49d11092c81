"""Transformer: a small decoder-only language model over beat tokens that extends a track.

DeepComposer's Transformer-XL (DESIGN.md §3) extends a track by up to 30 seconds from
performance events (note-on, note-off, 10 ms time shifts, velocity; 310 tokens; 4 layers,
d=500). Ours reads beat-based tokens (``generation.tokens``: bar, position, pitch,
duration, plus a style and a meter token; 283 tokens), so "extend by N beats in the
input's meter" is a property of the grammar the sampler follows, not something a model
of 10 ms shifts has to get right. It is a GPT: pre-norm blocks, learned positions, tied
input and output embeddings, and a key-value cache for sampling: 4 layers at d=192 with
a 256-token context (1.9 M parameters, 3.8 MB in fp16), sized for its training budget
(28 minutes on two CPU cores) and for speed (``bench/bench_transformer.py``).
Besides each token it reads the *frontier* (where the notes so far stop sounding, from
the bar line), and every piece is in its canonical key (tonic C): both spare a network
that sees about a million tokens in training what an n-gram gets by counting.

One model learns both corpora, told apart by the style token: the folk tunes as
melodies and the chorales as one stream of their four voices. A monophonic input is
continued as a folk melody (one note at a time, enforced by the grammar), a polyphonic
one as a chorale. Training packs whole pieces (or, for pieces longer than the context,
a tail from a random bar line) into rows of ``context`` tokens; attention never crosses
from one piece into another and positions restart at each piece, exactly as at
inference. When sampling fills the context, the cache is rebuilt from the last half
(from a bar line) with the style and meter in front, as in training.

The extension itself (prompt, sampling, stitching) is shared with the order-3 Markov
baseline in ``generation.extension``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from generation.checkpoint import load_checkpoint, parameter_count, shipped_path
from generation.extension import FloatArray, TokenModel, extend
from generation.params import ParamValue
from generation.tokens import (
    CORPUS_OF_STYLE,
    FRONTIER_MAX,
    STYLES,
    VOCAB,
    Grammar,
    TokenPiece,
    bar_starts,
    tail_indices,
    tokenized_split,
)
from generation.training import (
    TrainingEntry,
    TrainOptions,
    adamw,
    clip_and_step,
    finish_training,
    run_training,
    seed_everything,
)
from music.score import Score

IntArray = npt.NDArray[np.int64]
IGNORE = -100


@dataclass
class TransformerConfig:
    vocab_size: int = VOCAB.size
    context: int = 256
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 192
    dropout: float = 0.05
    # The share of packed training pieces drawn from the chorales (the rest: folk tunes).
    chorale_share: float = 0.3


# DeepComposer's published size (Transformer-XL, 4 layers, d=500), for bench/.
DEEPCOMPOSER_CONFIG = TransformerConfig(n_layer=4, n_head=10, d_model=500, context=512)

CONFIG_HELP = {
    "context": "tokens the model sees at once (training rows and the sampling window)",
    "n_layer": "transformer blocks",
    "n_head": "attention heads (d_model must divide by it)",
    "d_model": "width of the residual stream",
    "chorale_share": "share of training pieces drawn from the chorales (the rest: folk)",
}


# ----- the network -------------------------------------------------------------------


class KVCache:
    """Keys and values of every layer for one sequence, preallocated to the context."""

    def __init__(self, config: TransformerConfig) -> None:
        head = config.d_model // config.n_head
        shape = (1, config.n_head, config.context, head)
        self.keys = [torch.zeros(shape) for _ in range(config.n_layer)]
        self.values = [torch.zeros(shape) for _ in range(config.n_layer)]
        self.length = 0

    def append(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store ``k``, ``v`` (1, H, T, Dh) after the cached ones; return all of them."""
        end = self.length + k.shape[2]
        self.keys[layer][:, :, self.length : end] = k
        self.values[layer][:, :, self.length : end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]


class SelfAttention(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        if config.d_model % config.n_head:
            raise ValueError(f"d_model {config.d_model} must divide by n_head {config.n_head}")
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.dropout = config.dropout
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, Dh)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        causal = mask is None
        if cache is not None:
            causal = T > 1  # a prompt into an empty cache; one new token sees everything
            k, v = cache.append(layer, k, v)  # (1, H, cached + T, Dh)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=causal,
        )  # (B, H, T, Dh)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))  # (B, T, C)


class Block(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.d_model)
        self.attention = SelfAttention(config)
        self.ln2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, 4 * config.d_model),
            nn.GELU(),
            nn.Linear(4 * config.d_model, config.d_model),
            nn.Dropout(config.dropout),
        )

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> torch.Tensor:
        x = x + self.attention(self.ln1(x), mask, cache, layer)  # (B, T, C)
        return x + self.mlp(self.ln2(x))


class MusicTransformer(nn.Module):
    """Tokens (B, T) to next-token logits (B, T, vocab)."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.context, config.d_model)
        self.frontier = nn.Embedding(FRONTIER_MAX + 1, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied: one table for reading and writing
        self.apply(self._init_weights)
        for name, parameter in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                # GPT-2's scaled init of the layers that write into the residual stream
                nn.init.normal_(parameter, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self,
        tokens: torch.Tensor,
        frontier: torch.Tensor,
        positions: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        """``frontier`` (B, T) is :func:`~generation.tokens.frontier_features` of the
        tokens. ``positions`` (B, T) restart at every packed piece and ``mask``
        (B, 1, T, T) keeps attention inside one piece; without them one causal sequence
        from 0, or (with ``cache``) from the cache's length."""
        T = tokens.shape[1]
        if positions is None:
            start = cache.length if cache is not None else 0
            positions = torch.arange(start, start + T).unsqueeze(0)  # (1, T)
        x = self.embed(tokens) + self.frontier(frontier) + self.position(positions)
        x = self.drop(x)  # (B, T, C)
        for layer, block in enumerate(self.blocks):
            x = block(x, mask, cache, layer)
        if cache is not None:
            cache.length += T
        return self.head(self.ln_f(x))  # (B, T, vocab)


def packed_mask(documents: torch.Tensor) -> torch.Tensor:
    """(B, 1, T, T) True where query t may attend to key s: s <= t in the same piece."""
    T = documents.shape[1]
    same = documents[:, :, None] == documents[:, None, :]  # (B, T, T)
    return (same & torch.ones(T, T, dtype=torch.bool).tril()).unsqueeze(1)


# ----- sampling with the cache -------------------------------------------------------


class CachedSampler:
    """The :class:`~generation.extension.TokenModel` of a network: one cached forward
    step per token; when the context is full, the cache is rebuilt from the last half."""

    def __init__(self, model: MusicTransformer, prompt_share: float = 0.75) -> None:
        self.model = model
        self.context = model.config.context
        self.prompt_limit = int(self.context * prompt_share)  # room left to generate
        self.cache = KVCache(model.config)
        self.history: list[int] = []
        self.features: list[int] = []
        self.tracker = Grammar((4, 4), min_step=0, end_step=0, monophonic=False)

    @torch.no_grad()
    def _encode(self, limit: int) -> FloatArray:
        kept = tail_indices(self.history, limit)
        tokens = torch.tensor([[self.history[i] for i in kept]])  # (1, T)
        frontier = torch.tensor([[self.features[i] for i in kept]])
        self.cache.length = 0
        logits = self.model(tokens, frontier, cache=self.cache)  # (1, T, vocab)
        return logits[0, -1].double().numpy()

    def start(self, tokens: Sequence[int], time_signature: tuple[int, int]) -> FloatArray:
        self.tracker = Grammar(time_signature, min_step=0, end_step=0, monophonic=False)
        self.history, self.features = [], []
        for token in tokens:
            self._track(token)
        return self._encode(self.prompt_limit)

    def _track(self, token: int) -> None:
        self.tracker.advance(token)
        self.history.append(token)
        self.features.append(self.tracker.frontier())

    @torch.no_grad()
    def step(self, token: int) -> FloatArray:
        self._track(token)
        if self.cache.length >= self.context:
            return self._encode(self.context // 2)
        tokens, frontier = torch.tensor([[token]]), torch.tensor([[self.features[-1]]])
        logits = self.model(tokens, frontier, cache=self.cache)  # (1, 1, vocab)
        return logits[0, -1].double().numpy()


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


# ----- likelihood on whole pieces ----------------------------------------------------


def scored_windows(tokens: Sequence[int], context: int) -> list[tuple[list[int], int, int]]:
    """Windows that score every token from the first ``Bar`` on exactly once:
    ``(indices, first, stop)``: a window holds ``tokens[i] for i in indices`` and predicts
    its positions ``first..stop-1``. The first window is the piece's start; each later one
    is the style and meter plus a tail from a bar line, so that every prediction sees at
    least half a context of history."""
    n = len(tokens)
    head = min(n, context)
    windows = [(list(range(head)), 2, head)]
    done = head
    bars = bar_starts(tokens)
    while done < n:
        begin = max([b for b in bars if b <= done - context // 2], default=0)
        if begin <= done - context + 2:  # no bar line close enough: cut mid-bar
            begin = done - context // 2
        stop = min(n, begin + context - 2)
        indices = [0, 1, *range(begin, stop)]
        windows.append((indices, 2 + done - begin, len(indices)))
        done = stop
    return windows


@torch.no_grad()
def sequence_log_probs(
    model: MusicTransformer, pieces: Sequence[TokenPiece], batch_size: int = 32
) -> list[FloatArray]:
    """For each piece, log p(token j | the tokens before it, within the context) for every
    j >= 2 (the style and meter are given). Windows run in padded batches."""
    model.eval()
    jobs = [
        (index, indices, first, stop)
        for index, piece in enumerate(pieces)
        for indices, first, stop in scored_windows(piece.tokens.tolist(), model.config.context)
    ]
    parts: list[list[FloatArray]] = [[] for _ in pieces]  # in window order
    for begin in range(0, len(jobs), batch_size):
        chunk = jobs[begin : begin + batch_size]
        width = max(len(indices) for _, indices, _, _ in chunk) - 1
        x = torch.full((len(chunk), width), VOCAB.PAD)  # right padding: causal, so harmless
        frontier = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (index, indices, _, _) in enumerate(chunk):
            kept = torch.tensor(indices[:-1])
            x[row, : len(kept)] = torch.from_numpy(pieces[index].tokens)[kept]
            frontier[row, : len(kept)] = torch.from_numpy(pieces[index].features)[kept]
        logp = F.log_softmax(model(x, frontier).double(), dim=-1)  # (B, T, vocab)
        for row, (index, indices, first, stop) in enumerate(chunk):
            targets = torch.from_numpy(pieces[index].tokens)[torch.tensor(indices[first:stop])]
            parts[index].append(logp[row, torch.arange(first - 1, stop - 1), targets].numpy())
    return [np.concatenate(part) for part in parts]


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
        steps=6000,
        max_minutes=28,
        batch_size=16,
        lr=2e-3,
        warmup_steps=40,
        eval_every=100,
        eval_batches=8,
    ),
    train=train,
    config_help=CONFIG_HELP,
)


# ----- the technique -----------------------------------------------------------------


def build(config: TransformerConfig) -> MusicTransformer:
    return MusicTransformer(config)


@cache
def shipped_model() -> MusicTransformer:
    """The committed checkpoint, loaded once per process."""
    model, _, _ = load_checkpoint(shipped_path("transformer"), TransformerConfig, build)
    return model


def sampler_factory(model: MusicTransformer) -> Callable[[str], TokenModel]:
    """Every style is the same network: the style token in the prompt tells them apart."""
    return lambda _style: CachedSampler(model)


def continue_with(
    model: MusicTransformer, score: Score, params: Mapping[str, ParamValue], seed: int
) -> Score:
    """``score`` extended by ``model`` (the bench and the quality report use other models)."""
    return extend(score, params, seed, sampler_factory(model))


def generate(score: Score, params: Mapping[str, ParamValue], seed: int) -> Score:
    """The registry's entry point: ``score`` extended by the shipped model."""
    return extend(score, params, seed, sampler_factory(shipped_model()))


def describe(model: MusicTransformer) -> str:
    c = model.config
    return (
        f"Transformer, {c.n_layer} layers, d={c.d_model}, context {c.context}, "
        f"{parameter_count(model) / 1e6:.2f} M parameters"
    )
