"""Transformer: a small decoder-only language model over beat tokens that extends a track.

DeepComposer's Transformer-XL (DESIGN.md §3) extends a track by up to 30 seconds from
performance events (note-on, note-off, 10 ms time shifts, velocity; 310 tokens; 4 layers,
d=500). Ours reads beat-based tokens (``generation.transformer.tokens``: bar, position, pitch,
duration, plus a style and a meter token; 283 tokens), so "extend by N beats in the
input's meter" is a property of the grammar the sampler follows, not something a model
of 10 ms shifts has to get right. It is a GPT: pre-norm blocks, learned positions, tied
input and output embeddings, and a key-value cache for sampling: 4 layers at d=192 with
a 256-token context (1.9 M parameters, 3.8 MB in fp16), sized for its training budget
(60 minutes on two CPU cores) and for speed (``bench/bench_transformer.py``).
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
baseline in ``generation.transformer.extension``; the packing and the training run are in
``generation.transformer.training``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from generation.arcnn.gibbs import archived_model as archived_arcnn
from generation.checkpoint import load_archived, load_checkpoint, parameter_count, shipped_path
from generation.params import ParamValue
from generation.transformer.extension import FloatArray, TokenModel, extend
from generation.transformer.tokens import (
    FRONTIER_MAX,
    VOCAB,
    Grammar,
    TokenPiece,
    bar_starts,
    tail_indices,
)
from generation.transformer.voicing import bach_lower_voices
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
        """``frontier`` (B, T) is :func:`~generation.transformer.tokens.frontier_features` of the
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
    """The :class:`~generation.transformer.extension.TokenModel` of a network: one cached forward
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


# ----- the technique -----------------------------------------------------------------


def build(config: TransformerConfig) -> MusicTransformer:
    return MusicTransformer(config)


@cache
def shipped_model() -> MusicTransformer:
    """The committed checkpoint, loaded once per process."""
    model, _, _ = load_checkpoint(shipped_path("transformer"), TransformerConfig, build)
    return model


ARCHIVED_MODELS = 2  # archived checkpoints a worker keeps loaded (4 MB each)


@lru_cache(maxsize=ARCHIVED_MODELS)
def archived_model(path: Path) -> MusicTransformer:
    """An archived checkpoint (an older model version), loaded once per process."""
    return load_archived(path, TransformerConfig, build)


def sampler_factory(model: MusicTransformer) -> Callable[[str], TokenModel]:
    """Every style is the same network: the style token in the prompt tells them apart."""
    return lambda _style: CachedSampler(model)


def continue_with(
    model: MusicTransformer, score: Score, params: Mapping[str, ParamValue], seed: int
) -> Score:
    """``score`` extended by ``model`` (the bench and the quality report use other models),
    a four-part continuation's lower voices by the shipped AR-CNN network as
    :func:`generate` writes them."""
    return extend(score, params, seed, sampler_factory(model), voicing=bach_lower_voices)


def generate(
    score: Score,
    params: Mapping[str, ParamValue],
    seed: int,
    progress: Callable[[float], None] | None = None,
    weights: Mapping[str, Path] | None = None,
) -> Score:
    """The registry's entry point: ``score`` extended by the shipped model, or by the
    archived checkpoint ``weights["transformer"]`` (an older model version); a four-part
    continuation's lower voices are written by the AR-CNN's network
    (:mod:`generation.transformer.voicing`), the shipped one or ``weights["arcnn"]``."""
    archived = (weights or {}).get("transformer")
    model = shipped_model() if archived is None else archived_model(archived)
    arcnn = (weights or {}).get("arcnn")
    voicing = partial(bach_lower_voices, model=None if arcnn is None else archived_arcnn(arcnn))
    return extend(score, params, seed, sampler_factory(model), progress, voicing)


def describe(model: MusicTransformer) -> str:
    c = model.config
    return (
        f"Transformer, {c.n_layer} layers, d={c.d_model}, context {c.context}, "
        f"{parameter_count(model) / 1e6:.2f} M parameters"
    )
