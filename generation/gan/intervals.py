"""Bach's melodic intervals, as a prior the GAN's decoder reads its lines' moves against.

Counts of the signed intervals (semitones, -24..24) between consecutive notes of the
alto, tenor and bass of the Bach chorales' training split, one note following the other
without a rest (a note struck again counts 0), are kept in ``intervals.json`` (written
by ``python -m generation.gan.intervals``; a test checks them against the corpus). The
decoder (:func:`generation.gan.viterbi.transition_costs`) adds ``interval_weight`` times
an interval's log-probability, less that of the likeliest interval, to every move: his
inner voices rise by a third about a third as often as they fall by one and leap up a
fourth three times as often as down, and his bass moves by step in 63 % of its moves.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from generation.data import load_split
from generation.stats import four_parts

FloatArray = npt.NDArray[np.float64]
INTERVALS_FILE = Path(__file__).resolve().parent / "intervals.json"
WIDEST = 24  # semitones either way; a wider move counts as this wide
GROUPS = {"inner": (1, 2), "bass": (3,)}  # the parts of a four-part piece, top first
SMOOTHING = 0.5  # added to every interval's count


def count_intervals(split: str = "train") -> dict[str, list[int]]:
    """Each group's counts of the intervals -WIDEST..WIDEST in the chorales of ``split``
    with four parts or more (as :func:`generation.stats.four_parts` takes them)."""
    counts = {group: np.zeros(2 * WIDEST + 1, dtype=np.int64) for group in GROUPS}
    for piece in load_split("bach-chorales", split):
        parts = four_parts(piece.score)
        if parts is None:
            continue
        for group, voices in GROUPS.items():
            for voice in voices:
                notes = sorted(parts.tracks[voice].notes, key=lambda n: n.start)
                for a, b in pairwise(notes):
                    if b.start == a.end:
                        interval = int(np.clip(b.pitch - a.pitch, -WIDEST, WIDEST))
                        counts[group][interval + WIDEST] += 1
    return {group: values.tolist() for group, values in counts.items()}


@cache
def interval_log_odds(group: str) -> FloatArray:
    """(2 WIDEST + 1,) read-only, index ``interval + WIDEST``: the log-probability of
    each interval in ``group``'s lines less that of the likeliest one (all <= 0)."""
    counts = np.asarray(json.loads(INTERVALS_FILE.read_text())[group], dtype=np.float64)
    logs = np.log((counts + SMOOTHING) / (counts + SMOOTHING).sum())
    logs -= logs.max()
    logs.setflags(write=False)
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    INTERVALS_FILE.write_text(json.dumps(count_intervals(args.split)) + "\n")
    print(f"wrote {INTERVALS_FILE}")


if __name__ == "__main__":
    main()
