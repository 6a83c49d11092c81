"""Benchmark the AR-CNN's default call against a DeepComposer-sized network, on one core.

Run ``python bench/bench_arcnn.py``. With ``torch.set_num_threads(1)`` it times the
studio's default call (100 sampling iterations per 8 bars, the other parameters at their
defaults) on an 8-bar and a 32-bar input (Ode to Joy, cropped or repeated), first with
the shipped checkpoint and then with the same code around DeepComposer's published
architecture (32 filters, 5 levels, concatenated skips, 128 pitches: 31.5 M parameters,
random weights: only the time matters). Batch norms are folded in both. It also prints
one forward pass of each network.

Target: the shipped model's 8-bar call under 1 s. The load average is printed first:
on a shared machine other jobs slow both networks alike, so compare them within a run.
Each network edits on its own grid: ours 2 steps per beat (64 x 64 cells per 8 bars),
DeepComposer's 4 (128 x 128).

Last run (shipped checkpoint of 0.91 M parameters, load average 3.0): forward 6.8 ms vs
193 ms; 8 bars 0.57 s (10-run median, max 0.80 s) vs 18.3 s; 32 bars 2.66 s vs 47.2 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.arcnn.model import (
    DEEPCOMPOSER_CONFIG,
    ArCnn,
    edit,
    fused_for_inference,
    shipped_model,
)
from generation.checkpoint import parameter_count
from generation.registry import ARCNN_PARAMS
from music.catalogue import load_sample
from music.score import Score
from music.transforms import concatenate, crop


def inputs() -> dict[str, Score]:
    melody = load_sample("ode-to-joy")  # 16 bars of 4/4 at 100 bpm
    eight = crop(melody, 0, 8)
    return {"8 bars": eight, "32 bars": concatenate([melody, melody])}


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm-up: first-call allocations
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def forward_ms(model: ArCnn, repeats: int) -> float:
    x = torch.zeros(1, model.config.window_steps, model.config.pitches)
    with torch.no_grad():
        return 1000 * statistics.median(timed(lambda: model(x), repeats))


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    params = ARCNN_PARAMS.defaults()
    models = {
        "ours (shipped)": (shipped_model(), 5),
        "DeepComposer-sized": (fused_for_inference(ArCnn(DEEPCOMPOSER_CONFIG).eval()), 1),
    }
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load average {load}")
    print(f"params {params}")
    print(f"{'model':<20} {'parameters':>11} {'forward':>10}")
    for name, (model, repeats) in models.items():
        print(f"{name:<20} {parameter_count(model):>11,} {forward_ms(model, 5 * repeats):>8.1f} ms")
    print(f"\n{'input':<8} {'model':<20} {'iterations':>10} {'median':>9} {'per iteration':>14}")
    for label, score in inputs().items():
        for name, (model, repeats) in models.items():
            times = timed(partial(edit, score, params, 0, model), repeats)
            iterations = round(int(params["sampling_iterations"]) * max(1, score.bar_count / 8))
            median = statistics.median(times)
            print(
                f"{label:<8} {name:<20} {iterations:>10} {median:>8.2f}s "
                f"{1000 * median / iterations:>11.1f} ms"
            )
    spread = np.array(timed(lambda: edit(inputs()["8 bars"], params, 0, shipped_model()), 10))
    print(f"\nours, 8 bars, 10 runs: median {np.median(spread):.3f} s, max {spread.max():.3f} s")


if __name__ == "__main__":
    main()
