"""Benchmark host-built judges (issue 21): build time, quality, and scoring with many loaded.

``python bench/bench_host_judge.py build [--pieces N] [--quick]`` builds a judge the way
the training task does (``evaluation.host_profile``) from N chorales of the bundled
corpus (a seeded sample: a host's set, not the shipped split), printing each stage's
seconds and the figures on the set's own test split beside the shipped ``bach-chorales``
profile's (its committed VALIDITY.md: the same targets, measured on its own split).

``python bench/bench_host_judge.py scoring FOLDER [--copies 10] [--entries 30]`` scores
the same entries against one host-built profile, then round-robin against ``--copies``
copies of it loaded side by side (each its own name, as ten host versions would be),
and prints the throughput of both (entries per CPU second of the process: wall time on a
shared machine is too noisy) and the memory (RSS) each setting holds. The baseline is the
one-profile run, in the same process and run.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from evaluation.host_profile import build_host_profile
from evaluation.profile import PROFILES_DIR
from music.corpus import load_corpus

ROUNDS = 3


def build(args: argparse.Namespace) -> None:
    pieces = load_corpus("bach-chorales")
    chosen = np.random.default_rng(0).choice(len(pieces), size=args.pieces, replace=False)
    picked = [(pieces[i].id, pieces[i].score) for i in sorted(chosen)]
    stages: dict[str, float] = {}
    current: dict[str, Any] = {"stage": "start", "since": time.monotonic()}

    def progress(stage: str, done: float) -> None:
        if stage != current["stage"]:
            now = time.monotonic()
            stages[current["stage"]] = now - current["since"]
            current.update(stage=stage, since=now)

    output = Path(tempfile.mkdtemp(prefix="host-judge-"))
    started = time.monotonic()
    result = build_host_profile(
        f"bench-{args.pieces}-v1",
        f"{args.pieces} chorales",
        picked,
        output,
        quick=args.quick,
        progress=progress,
        log=lambda line: None,
    )
    stages[current["stage"]] = time.monotonic() - current["since"]
    total = time.monotonic() - started
    print(f"built {result.name} from {args.pieces} pieces in {total:.0f} s ({output})")
    for stage, seconds in stages.items():
        if stage != "start":
            print(f"  {stage:22s} {seconds:7.1f} s")
    figures = result.figures
    shipped = _shipped_figures()
    print(f"\nsplit: {figures['pieces']}")
    print(f"{'figure':44s} {'host-built':>11s} {'shipped':>9s}")
    print(f"{'held-out real median':44s} {figures['real_median']:11.1f} {shipped['real']:>9s}")
    for name, family in figures["families"].items():
        theirs = shipped.get(name.replace("_", " "), "?")
        print(f"{'AUROC ' + name:44s} {family['auroc']:11.3f} {theirs:>9s}")
    print(f"{'real pieces falsely flagged':44s} {figures['false_flags']:11.1%}")
    print(f"passes the validity targets: {figures['passes']}")
    for name, ok in figures["checks"]:
        print(f"  {'met ' if ok else 'MISS'} {name}")
    for name, outcome in figures["redteam"]:
        print(f"  red team: {outcome[:4]} {name}")


def _shipped_figures() -> dict[str, str]:
    text = (PROFILES_DIR / "bach-chorales" / "VALIDITY.md").read_text()
    found = {"real": re.search(r"\| held-out real \| ([\d.]+)", text).group(1)}  # type: ignore[union-attr]
    for name, auroc in re.findall(r"^\| ([a-z ]+) \| [\d.]+ \| ([\d.]+) \|", text, re.M):
        found[name] = auroc
    return found


def scoring(args: argparse.Namespace) -> None:
    import torch

    from evaluation.evaluate import evaluate_many
    from evaluation.profile import load_profile

    torch.set_num_threads(1)  # one core, as bench_evaluation: threads spinning blur CPU time
    source = Path(args.folder)
    root = Path(tempfile.mkdtemp(prefix="host-judges-"))
    names = []
    for i in range(args.copies):
        name = f"copy{i}-v1"
        shutil.copytree(source, root / name)
        meta = json.loads((root / name / "profile.json").read_text())
        meta["name"] = name
        (root / name / "profile.json").write_text(json.dumps(meta))
        names.append(name)
    entries = [p.score for p in load_corpus("bach-chorales", split="test")[: args.entries]]

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    one = load_profile(names[0], root)
    evaluate_many(entries[:2], one)  # warm up
    single_rss = rss_mb()
    loaded = [load_profile(name, root) for name in names]
    for profile in loaded:
        evaluate_many(entries[:1], profile)
    # Rounds alternate, so both settings see the same load on a shared machine, and the
    # figure is entries per CPU second of this process (wall time on a busy machine
    # swings by tens of per cent between rounds).
    singles, manies = [], []
    for _ in range(ROUNDS):
        started = time.process_time()
        for entry in entries:
            evaluate_many([entry], one)
        singles.append(len(entries) / (time.process_time() - started))
        started = time.process_time()
        for i, entry in enumerate(entries):
            evaluate_many([entry], loaded[i % len(loaded)])
        manies.append(len(entries) / (time.process_time() - started))
    single, many = float(np.median(singles)), float(np.median(manies))
    print(f"median of {ROUNDS} alternating rounds of {len(entries)} entries each")
    print(f"one profile loaded:   {single:.2f} entries/CPU s, peak RSS {single_rss:.0f} MB")
    print(f"{args.copies} profiles loaded: {many:.2f} entries/CPU s, peak RSS {rss_mb():.0f} MB")
    print(f"throughput with {args.copies}: {many / single - 1:+.1%} of one profile's")
    shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("build")
    one.add_argument("--pieces", type=int, default=200)
    one.add_argument("--quick", action="store_true")
    one.set_defaults(run=build)
    many = commands.add_parser("scoring")
    many.add_argument("folder")
    many.add_argument("--copies", type=int, default=10)
    many.add_argument("--entries", type=int, default=30)
    many.set_defaults(run=scoring)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
