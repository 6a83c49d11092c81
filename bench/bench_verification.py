"""Worker time to verify an honest generator claim of 8 bars, per technique.

Run ``python bench/bench_verification.py [--repeat 5] [--threads 1]``. A participant
makes a piece on their own machine (``generation.generate``, as ``python -m generation``
does) from an 8-bar sample melody with each technique's default parameters, and sends
the claim (input, technique, parameters, seed, model version) with the MIDI. "verify"
is what the generation worker spends on it: ``studio.verification.check_claim`` (read
the claimed input, re-run the generator, read both back, compare every note). The
baseline, measured in the same run, is the generator call alone on the same input: the
verification's floor. Target (issue 19): under 2 s of worker time for 8 bars. Each
figure is the median of ``--repeat`` calls after one warm-up call; one thread, as a
worker process runs it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE = "new-world"  # 8 bars
SEED = 7


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartbusters.settings")
    import django
    import torch

    django.setup()
    torch.set_num_threads(args.threads)
    from chartbusters.studio import generators, scores
    from chartbusters.studio.verification import check_claim
    from generation.registry import TECHNIQUES, generate
    from music.midi_io import score_to_midi

    source = scores.score_from_stored_midi(scores.midi_bytes(scores.sample_score(SAMPLE)))
    print(f"input: {SAMPLE} ({source.bar_count} bars), seed {SEED}, {args.threads} thread(s)")
    print(f"{'technique':<12} {'generate (baseline)':>20} {'verify':>10} {'verified':>9}")
    worst = 0.0
    for name, technique in TECHNIQUES.items():
        params, seed = generators.check_request(name, {}, SEED)
        midi = score_to_midi(generate(name, source, params, seed))
        claim = {
            "input": f"sample:{SAMPLE}",
            "technique": name,
            "parameters": params,
            "seed": seed,
            "model_version": technique.version,
        }
        outcome = check_claim(claim, midi)
        baseline = median_ms(partial(generate, name, source, params, seed), args.repeat)
        verify = median_ms(partial(check_claim, claim, midi), args.repeat)
        worst = max(worst, verify)
        print(f"{name:<12} {baseline:>17.0f} ms {verify:>7.0f} ms {outcome.verified!s:>9}")
        if not outcome.verified:
            print(f"  not verified: {outcome.note}")
    print(f"slowest verification: {worst / 1000:.2f} s (target: under 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
