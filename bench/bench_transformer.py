"""Benchmark the Transformer's default call against a DeepComposer-sized network, on one core.

Run ``python bench/bench_transformer.py``. With ``torch.set_num_threads(1)`` it times
``generation.registry.generate("transformer", ...)`` end to end (planning, sampling
with the key-value cache, stitching) on an 8-bar and a 32-bar input (Ode to Joy, cropped
or repeated: 4/4 at 100 bpm) and on the first 8 bars of a four-part test chorale (a
polyphonic continuation, about three times the tokens), with the studio's defaults (a
20-second extension) and with the longest extension (30 seconds).

DeepComposer's Transformer-XL has 4 layers at d=500; the same code around a network of
that size (10 heads, 512-token context, random weights) samples different tokens, so
for the comparison both networks replay the very tokens the shipped model sampled: the
prompt through the cache, then one cached step and one sampling filter per token. That
is the same work as the call itself, minus planning and stitching.

Target: a 30-second extension under 1.5 s on one core.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.checkpoint import parameter_count
from generation.registry import TRANSFORMER_PARAMS, generate
from generation.transformer.extension import (
    Plan,
    Sampling,
    plan_extension,
    probabilities,
    sample_continuation,
)
from generation.transformer.model import (
    DEEPCOMPOSER_CONFIG,
    CachedSampler,
    MusicTransformer,
    shipped_model,
)
from music.catalogue import load_sample
from music.corpus import load_corpus
from music.score import Score
from music.transforms import concatenate, crop


def inputs() -> dict[str, Score]:
    melody = load_sample("ode-to-joy")  # 16 bars of 4/4 at 100 bpm
    chorale = load_corpus("bach-chorales", split="test")[0].score  # four voices, 4/4
    return {
        "8 bars": crop(melody, 0, 8),
        "32 bars": concatenate([melody, melody]),
        "8-bar chorale": crop(chorale, 0, 8),
    }


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm-up: first-call allocations
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def replay(model: MusicTransformer, plan: Plan, tokens: list[int], sampling: Sampling) -> None:
    """The sampling loop's work for ``tokens``, whatever the network would have drawn."""
    sampler = CachedSampler(model)
    logits = sampler.start(plan.prompt, plan.score.time_signature)
    allowed = np.ones(len(logits), dtype=np.bool_)
    for token in tokens:
        probabilities(logits, allowed, sampling)
        logits = sampler.step(token)


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ours = shipped_model()
    theirs = MusicTransformer(DEEPCOMPOSER_CONFIG).eval()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, model in (("ours (shipped)", ours), ("DeepComposer-sized", theirs)):
        c = model.config
        print(
            f"{name:<20} {parameter_count(model):>10,} parameters, {c.n_layer} layers, "
            f"d={c.d_model}, context {c.context}"
        )
    print(
        f"\n{'input':<14} {'extension':>9} {'tokens':>6} {'call (ours)':>12} "
        f"{'replay ours':>12} {'replay DC-size':>15} {'ms/token ours, DC':>18}"
    )
    for label, score in inputs().items():
        for seconds in (20.0, 30.0):
            measure(label, score, seconds, ours, theirs)
    params = {**TRANSFORMER_PARAMS.defaults(), "extension_duration": 30.0}
    spread = np.array(timed(partial(generate, "transformer", inputs()["8 bars"], params, 0), 10))
    print(f"\nours, 8 bars + 30 s, 10 runs: median {np.median(spread):.3f} s", end="")
    print(f", max {spread.max():.3f} s")


def measure(
    label: str, score: Score, seconds: float, ours: MusicTransformer, theirs: MusicTransformer
) -> None:
    params = {**TRANSFORMER_PARAMS.defaults(), "extension_duration": seconds}
    call = statistics.median(timed(partial(generate, "transformer", score, params, 0), 5))
    plan = plan_extension(
        score, input_duration=float(params["input_duration"]), extension_duration=seconds
    )
    sampling = Sampling.from_params(params)
    tokens = sample_continuation(plan, CachedSampler(ours), sampling, np.random.default_rng(0))
    mine = statistics.median(timed(partial(replay, ours, plan, tokens, sampling), 5))
    dc = statistics.median(timed(partial(replay, theirs, plan, tokens, sampling), 3))
    per_token = f"{1000 * mine / len(tokens):.2f}, {1000 * dc / len(tokens):.2f}"
    print(
        f"{label:<14} {seconds:>8.0f}s {len(tokens):>6} {call:>11.3f}s {mine:>11.3f}s "
        f"{dc:>14.3f}s {per_token:>18}"
    )


if __name__ == "__main__":
    main()
