"""The Transformer's baseline: an order-3 Markov chain over the same beat tokens.

``p(token | the three tokens before it)``, with Witten-Bell interpolation down to the
order-0 (add-one) distribution, so every token has a probability:

    p_n(w | h) = (c(h w) + t(h) p_{n-1}(w | h')) / (c(h) + t(h))

where ``h`` is the last ``n`` tokens, ``h'`` the last ``n - 1``, ``c`` counts in the
training sequences and ``t(h)`` is the number of distinct tokens seen after ``h``
(Witten & Bell 1991; Chen & Goodman 1998, section 2.4). Unseen contexts fall back to the
lower order. It is trained on the same split and the same tokens as the Transformer
(every piece in its canonical key, ``generation.transformer.tokens``), and extends a
track through the same plan, grammar and sampling (``generation.transformer.extension``),
so the two differ only in the model.

Counts live in sorted arrays of n-gram keys (tokens as base-``vocab`` digits), so
fitting is a few ``np.unique`` calls (seconds) and lookups are ``searchsorted``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from generation.transformer.extension import FloatArray, TokenModel
from generation.transformer.tokens import STYLES, VOCAB, tokenized_split

IntArray = npt.NDArray[np.int64]
ORDER = 3


@dataclass(frozen=True)
class _Table:
    """Counts of the n-grams of one length, and of their (n - 1)-token contexts."""

    keys: IntArray  # sorted n-gram keys
    counts: IntArray
    context_keys: IntArray  # sorted context keys (key // vocab)
    context_counts: IntArray  # c(h)
    context_types: IntArray  # t(h): distinct tokens after h


def _table(keys: IntArray, vocab: int) -> _Table:
    unique, counts = np.unique(keys, return_counts=True)
    contexts, first, types = np.unique(unique // vocab, return_index=True, return_counts=True)
    totals = np.add.reduceat(counts, first) if len(unique) else counts
    return _Table(unique, counts, contexts, totals, types)


def _lookup(keys: IntArray, values: IntArray, query: IntArray) -> IntArray:
    """``values`` at ``query`` keys, 0 where a key is absent."""
    index = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    found = keys[index] == query if len(keys) else np.zeros(len(query), dtype=np.bool_)
    return np.where(found, values[index] if len(keys) else 0, 0)


class MarkovChain:
    """Fitted with :meth:`fit`; ``tables[n]`` holds the (n + 1)-grams, n = 0..order."""

    def __init__(self, tables: list[_Table], unigram: FloatArray, order: int, vocab: int):
        self.tables, self.unigram, self.order, self.vocab = tables, unigram, order, vocab

    @classmethod
    def fit(
        cls, sequences: Iterable[Sequence[int] | IntArray], order: int = ORDER, vocab: int = 0
    ) -> MarkovChain:
        vocab = vocab or VOCAB.size
        stream, targets = _stream(sequences, order)
        tables = [_table(_keys(stream, targets, n, vocab), vocab) for n in range(order + 1)]
        counts = np.bincount(stream[targets], minlength=vocab).astype(np.float64)
        unigram = (counts + 1) / (counts.sum() + vocab)
        return cls(tables, unigram, order, vocab)

    def log_probs(self, tokens: Sequence[int] | IntArray, first: int = 2) -> FloatArray:
        """log p(token j | the ``order`` tokens before it) for every j >= ``first``."""
        stream, _ = _stream([tokens], self.order)
        targets = np.arange(self.order + first, len(stream))
        p = self.unigram[stream[targets]]
        for n in range(1, self.order + 1):
            table = self.tables[n]
            context = _keys(stream, targets, n, self.vocab) // self.vocab
            seen = _lookup(table.context_keys, table.context_counts, context).astype(np.float64)
            types = _lookup(table.context_keys, table.context_types, context)
            pair = _lookup(table.keys, table.counts, _keys(stream, targets, n, self.vocab))
            with np.errstate(invalid="ignore", divide="ignore"):
                mixed = (pair + types * p) / (seen + types)
            p = np.where(seen > 0, mixed, p)
        return np.log(p)

    def next_log_probs(self, history: Sequence[int]) -> FloatArray:
        """log p(every token | the last ``order`` tokens of ``history``)."""
        padded = [VOCAB.PAD] * self.order + list(history)
        p = self.unigram.copy()
        for n in range(1, self.order + 1):
            table = self.tables[n]
            context = 0
            for token in padded[len(padded) - n :]:
                context = context * self.vocab + token
            at = np.searchsorted(table.context_keys, context)
            if at == len(table.context_keys) or table.context_keys[at] != context:
                continue
            seen, types = table.context_counts[at], table.context_types[at]
            low, high = np.searchsorted(
                table.keys, [context * self.vocab, (context + 1) * self.vocab]
            )
            pair = np.zeros(self.vocab)
            pair[table.keys[low:high] % self.vocab] = table.counts[low:high]
            p = (pair + types * p) / (seen + types)
        return np.log(p)


def _stream(sequences: Iterable[Sequence[int] | IntArray], order: int) -> tuple[IntArray, IntArray]:
    """All sequences in one array, each after ``order`` PAD tokens (so no context spans
    two sequences), and the indices of the real tokens (the prediction targets)."""
    parts, targets, offset = [], [], 0
    for sequence in sequences:
        array = np.asarray(sequence, dtype=np.int64)
        parts.append(np.full(order, VOCAB.PAD, dtype=np.int64))
        parts.append(array)
        targets.append(np.arange(offset + order, offset + order + len(array)))
        offset += order + len(array)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(parts), np.concatenate(targets)


def _keys(stream: IntArray, targets: IntArray, n: int, vocab: int) -> IntArray:
    """The keys of the (n + 1)-grams ending at ``targets``: n context tokens and the target."""
    keys = np.zeros(len(targets), dtype=np.int64)
    for back in range(n, -1, -1):
        keys = keys * vocab + stream[targets - back]
    return keys


# ----- the baseline on the corpora ---------------------------------------------------


@cache
def corpus_chain(split: str = "train") -> MarkovChain:
    """The baseline fitted on a split of both corpora (about 20 s), cached for the process."""
    return MarkovChain.fit(p.tokens for style in STYLES for p in tokenized_split(style, split))


class MarkovSampler:
    """The chain as a :class:`~generation.transformer.extension.TokenModel`."""

    def __init__(self, chain: MarkovChain) -> None:
        self.chain = chain
        self.history: list[int] = []

    def start(self, tokens: Sequence[int], time_signature: tuple[int, int]) -> FloatArray:
        self.history = list(tokens)
        return self.chain.next_log_probs(self.history)

    def step(self, token: int) -> FloatArray:
        self.history.append(token)
        return self.chain.next_log_probs(self.history)


def sampler_factory(chain: MarkovChain) -> Callable[[str], TokenModel]:
    """One chain for every style: the style token is in its contexts."""
    return lambda _style: MarkovSampler(chain)
