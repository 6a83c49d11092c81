"""Benchmark the AR-CNN's Gibbs sampler on one core, next to a Coconet-sized network.

Run ``python bench/bench_arcnn.py``. With ``torch.set_num_threads(1)`` (as in the studio's
workers) it times, with the shipped checkpoint:

- the default call (100 Gibbs steps) on 8 bars (target < 1 s) and on 32 bars;
- the largest parameters (1000 steps, creative risk 6, every quota at its maximum) on 32
  bars (target < 30 s: the studio's task limit is 120 s, and a busy machine is slower);
- one forward pass of the network on 8 and on 32 bars.

The baseline, measured in the same run: one forward pass of a network the size of
Coconet's published one (64 layers of 3x3 convolutions with 128 channels over time and
pitch, random weights: only the time matters) on 8 bars, and what 100 Gibbs steps of it
would take. The load average is printed first: other jobs slow both alike, so compare
within a run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.arcnn.gibbs import harmonise, sampling_from, shipped_model
from generation.arcnn.network import Inpainter
from generation.checkpoint import parameter_count
from generation.registry import ARCNN_PARAMS
from music.catalogue import load_sample
from music.score import Score
from music.transforms import concatenate, crop


def inputs() -> dict[str, Score]:
    melody = load_sample("ode-to-joy")  # 16 bars of 4/4 at 100 bpm
    return {"8 bars": crop(melody, 0, 8), "32 bars": concatenate([melody, melody])}


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm-up: first-call allocations
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def coconet_sized() -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(8, 128, 3, padding=1)]
    for _ in range(62):
        layers += [nn.BatchNorm2d(128), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1)]
    layers.append(nn.Conv2d(128, 4, 3, padding=1))
    return nn.Sequential(*layers).eval()


def forward_ms(model: nn.Module, x: torch.Tensor, repeats: int) -> float:
    with torch.no_grad():
        return 1000 * statistics.median(timed(lambda: model(x), repeats))


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model: Inpainter = shipped_model()
    config = model.config
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load average {load}")
    print(f"ours: {parameter_count(model):,} parameters")
    for steps, label in ((64, "8 bars"), (256, "32 bars")):
        x = torch.zeros(1, config.input_features, steps)
        print(f"  forward, {label}: {forward_ms(model, x, 20):.1f} ms")
    baseline = coconet_sized()
    x = torch.zeros(1, 8, 64, 46)  # 8 bars at eighths, Coconet's 46 pitches
    ms = forward_ms(baseline, x, 3)
    print(f"Coconet-sized (baseline): {parameter_count(baseline):,} parameters")
    print(f"  forward, 8 bars: {ms:.1f} ms; 100 Gibbs steps would take {ms / 10:.1f} s")
    defaults = ARCNN_PARAMS.defaults()
    largest = ARCNN_PARAMS.validate({p.name: p.maximum for p in ARCNN_PARAMS.params})
    print(f"\n{'call':<34} {'median':>9} {'max':>9}")
    for label, score in inputs().items():
        for name, params, repeats in (("default", defaults, 5), ("largest", largest, 1)):
            if name == "largest" and label == "8 bars":
                continue
            times = timed(partial(harmonise, score, model, sampling_from(params), 0), repeats)
            print(
                f"{label + ', ' + name + ' parameters':<34} "
                f"{statistics.median(times):>8.2f}s {max(times):>8.2f}s"
            )


if __name__ == "__main__":
    main()
