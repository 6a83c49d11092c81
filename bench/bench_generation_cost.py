"""Measure what generation requests cost, beside the cost model's reference figures.

Run ``python bench/bench_generation_cost.py``. On one torch thread (as in the studio's
workers) it times each technique's default request on 8 bars (the baseline, in this
run) and its costliest in-range request on 32 bars, and prints each beside the time the
cost model predicts at the reference speed (``generation/registry.py``), the measured
seconds per unit of work and the reference. The load average is printed first: a busy
machine is slower; the service measures its own workers as they run jobs
(``chartbusters/studio/costs.py``) and refuses up front what could not finish.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation import registry
from music.catalogue import load_sample
from music.transforms import concatenate


def timed(technique: str, values: dict[str, Any], bars_score: Any) -> float:
    began = time.perf_counter()
    registry.generate(technique, bars_score, values, 3)
    return time.perf_counter() - began


def main() -> None:
    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f}")
    eight = load_sample("new-world")
    thirty_two = concatenate([load_sample("ode-to-joy")] * 2)
    for name, technique in registry.TECHNIQUES.items():
        cost = technique.cost
        defaults = technique.params.defaults()
        costliest = dict(defaults)
        if cost.param:
            param = next(p for p in technique.params.params if p.name == cost.param)
            assert param.maximum is not None, f"{name}'s {cost.param} has no maximum"
            costliest[cost.param] = param.maximum
        timed(name, defaults, eight)  # load the checkpoint
        for label, values, score in (("default, 8 bars", defaults, eight),
                                     ("costliest, 32 bars", costliest, thirty_two)):  # fmt: skip
            bars = score.measured_bar_count
            seconds = timed(name, values, score)
            units = cost.units(values, bars)
            rate = seconds / units  # as the service measures it, fixed costs included
            print(
                f"{name:12s} {label:20s} {seconds:7.2f} s (model at reference speed "
                f"{cost.seconds(values, bars):6.2f} s); {rate:.4f} s/unit "
                f"(reference {cost.seconds_per_unit})"
            )


if __name__ == "__main__":
    main()
