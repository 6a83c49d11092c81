"""``python -m generation.train TECHNIQUE [--dry-run] [--max-minutes M] [--steps N] ...``.

Options are the training options (:class:`generation.training.TrainOptions`) followed by
the technique's model config, one option per field (``--base-channels 16``). The result
goes to the shipped checkpoint path (``generation/checkpoints/<technique>.pt``, or
``<technique>-<style>.pt`` for a config with a ``style`` field, as the GAN's) unless
``--out`` says otherwise; a ``--dry-run`` writes to ``var/train/`` so it can never
replace a shipped model by accident.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from pathlib import Path

from generation.checkpoint import REPO_ROOT, shipped_path
from generation.registry import TECHNIQUES
from generation.training import (
    TrainingEntry,
    TrainOptions,
    add_dataclass_arguments,
    add_train_arguments,
    dataclass_from_args,
)


def training_entry(technique: str) -> TrainingEntry:
    spec = TECHNIQUES[technique]
    module = importlib.import_module(spec.training_module or spec.module)
    entry: TrainingEntry = module.TRAINING
    return entry


def build_parser(technique: str, entry: TrainingEntry) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m generation.train {technique}",
        description=f"Train the {technique} model on its corpus's training split.",
    )
    parser.add_argument("--out", type=Path, default=None, help="checkpoint path (NAME.pt)")
    add_train_arguments(parser.add_argument_group("training"), entry.options)
    add_dataclass_arguments(
        parser.add_argument_group("model"), entry.config_class(), entry.config_help
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in TECHNIQUES:
        known = ", ".join(sorted(TECHNIQUES))
        print(f"usage: python -m generation.train {{{known}}} [options]", file=sys.stderr)
        return 2
    technique, rest = argv[0], argv[1:]
    entry = training_entry(technique)
    args = build_parser(technique, entry).parse_args(rest)
    options: TrainOptions = dataclass_from_args(TrainOptions, args)
    config = dataclass_from_args(entry.config_class, args)
    style = getattr(config, "style", "")  # a technique with styles ships one model per style
    if args.out is not None:
        out = args.out
    elif options.dry_run:
        out = REPO_ROOT / "var" / "train" / shipped_path(technique, style).name
    else:
        out = shipped_path(technique, style)
    print(f"training {technique} -> {out}\nconfig {json.dumps(dataclasses.asdict(config))}")
    meta = entry.train(config, options, out)
    print(
        f"done: {meta['training']['steps']} steps in {meta['training']['seconds']:.0f} s, "
        f"validation loss {meta['training']['validation'][-1]['loss']:.4f} -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
