"""CPU latency of the GAN's default call, next to the same call at DeepComposer's lab size.

Run ``python bench/bench_gan.py [--threads 1] [--repeat 9]``. Inputs: Deck the Halls
(8 bars) and the same melody four times over (32 bars, our limit). "ours" is the
registry's default call (``generation.generate("gan", score, {}, 0)``: chorale style, the
shipped checkpoint), "ours, renaissance" the same in the renaissance style (its decoder
tracks runs of up to 4 steps, so it costs more); "DeepComposer-sized" is the default
call's accompaniment pipeline with the generator of DeepComposer's GAN lab (U-Net on 32
steps x 128 pitches, 64 filters doubling over 4 levels, 4x4 kernels, (2, 8, 512) noise;
random weights, which cost the same time) and its 2-bar window, measured in the same
run. Targets: 8 bars under 100 ms, 32 bars under 400 ms on one core. Each figure is the
median of ``--repeat`` calls after one warm-up call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from generation.checkpoint import parameter_count
from generation.gan.model import DEEPCOMPOSER_CONFIG, Generator, accompany, shipped_model
from generation.gan.styles import STYLES
from generation.registry import generate
from music.catalogue import load_sample
from music.score import Score
from music.transforms import concatenate


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # DeepComposer's 4x4 "same" convolutions pad unevenly; torch warns once, harmlessly.
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    eight = load_sample("deck-the-halls")
    inputs: dict[str, Score] = {"8 bars": eight, "32 bars": concatenate([eight] * 4)}
    torch.manual_seed(0)
    theirs = Generator(DEEPCOMPOSER_CONFIG).eval()
    ours = shipped_model("chorale")
    sizes = [f"{parameter_count(net) / 1e6:.2f} M" for net in (ours, theirs)]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); generator parameters: "
        f"ours {sizes[0]}, DeepComposer-sized {sizes[1]}"
    )
    print(
        f"{'input':8} {'bars':>4} {'ours':>10} {'DeepComposer-sized':>20} {'ratio':>7} "
        f"{'ours, renaissance':>19}"
    )
    for label, score in inputs.items():
        mine = median_ms(partial(generate, "gan", score, {}, 0), args.repeat)
        dc = median_ms(partial(accompany, score, theirs, STYLES["chorale"], 0), args.repeat)
        other = median_ms(partial(generate, "gan", score, {"style": "renaissance"}, 0), args.repeat)
        print(
            f"{label:8} {score.bar_count:4} {mine:8.1f} ms {dc:17.1f} ms {dc / mine:6.1f}x "
            f"{other:16.1f} ms"
        )


if __name__ == "__main__":
    main()
