"""The one training loop every generator uses, and its command-line options.

A technique supplies ``step(index) -> {"loss": ...}`` (one optimisation step: the GAN's
does its critic steps and its generator step inside) and ``evaluate() -> {"loss": ...}``
(validation metrics, computed without gradients); :func:`run_training` does the rest:
deterministic seeding, thread count, learning-rate warmup and cosine decay on the
optimisers it is given, the step and time budgets (whichever ends first; the schedule
follows whichever is further along, so a time-limited run still anneals), evaluation
every ``eval_every`` steps and at the end, a tqdm progress bar, and the loss history
that goes into the checkpoint's meta and the loss-curve picture (:func:`plot_losses`).
``--dry-run`` runs one step and one evaluation.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

Metrics = Mapping[str, float]


@dataclass
class TrainOptions:
    """How to train, as opposed to what (the model's config)."""

    steps: int = 2000
    max_minutes: float = 0.0  # 0: no time budget
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_batches: int = 8
    seed: int = 0
    threads: int = 2
    dry_run: bool = False
    progress: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_HELP = {
    "steps": "optimisation steps (the run also stops at --max-minutes)",
    "max_minutes": "wall-clock budget in minutes; 0 for none",
    "batch_size": "windows per step",
    "lr": "peak AdamW learning rate",
    "weight_decay": "AdamW weight decay (on weight matrices and kernels only)",
    "warmup_steps": "linear learning-rate warmup steps",
    "min_lr_ratio": "final learning rate as a fraction of the peak (cosine decay)",
    "grad_clip": "clip the gradient norm to this; 0 for no clipping",
    "eval_every": "evaluate on the validation split every N steps",
    "eval_batches": "validation batches per evaluation",
    "seed": "random seed (data order, masks, initial weights)",
    "threads": "torch CPU threads (torch.set_num_threads)",
    "dry_run": "run one step and one evaluation, then save",
    "progress": "show a progress bar",
}


def add_dataclass_arguments(
    parser: argparse.ArgumentParser | Any,
    defaults: Any,
    help_texts: Mapping[str, str] | None = None,
) -> None:
    """One ``--field-name`` option per field of the dataclass instance ``defaults``.

    Booleans become ``--name/--no-name`` flags; tuples and lists are not supported (keep
    configs flat, as nanoGPT does).
    """
    for spec in fields(defaults):
        value = getattr(defaults, spec.name)
        option = "--" + spec.name.replace("_", "-")
        text = (help_texts or {}).get(spec.name, "")
        if isinstance(value, bool):
            parser.add_argument(
                option,
                dest=spec.name,
                action=argparse.BooleanOptionalAction,
                default=value,
                help=text,
            )
        elif isinstance(value, (int, float, str)):
            parser.add_argument(
                option,
                dest=spec.name,
                type=type(value),
                default=value,
                help=f"{text} (default {value})",
            )
        else:
            raise TypeError(f"field {spec.name} of type {type(value).__name__} cannot be an option")


def dataclass_from_args(cls: type[Any], namespace: argparse.Namespace) -> Any:
    return cls(**{spec.name: getattr(namespace, spec.name) for spec in fields(cls)})


def add_train_arguments(parser: argparse.ArgumentParser | Any, defaults: TrainOptions) -> None:
    add_dataclass_arguments(parser, defaults, _HELP)


def seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # for third-party code that draws from numpy's global RNG
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, threads))


def adamw(
    model: nn.Module, options: TrainOptions, betas: tuple[float, float] = (0.9, 0.95)
) -> torch.optim.AdamW:
    """AdamW with weight decay on kernels and matrices only, not on biases and norms."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": options.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=options.lr, betas=betas)


def learning_rate_scale(step: int, progress: float, options: TrainOptions) -> float:
    """Linear warmup over ``warmup_steps``, then cosine decay to ``min_lr_ratio`` at progress 1."""
    if step < options.warmup_steps:
        return (step + 1) / options.warmup_steps
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return options.min_lr_ratio + (1 - options.min_lr_ratio) * cosine


@dataclass
class TrainLog:
    """What happened: per-interval mean training metrics and validation metrics by step."""

    steps: int = 0
    seconds: float = 0.0
    stopped_by: str = ""
    train: list[dict[str, float]] = field(default_factory=list)
    validation: list[dict[str, float]] = field(default_factory=list)

    def last(self, which: str = "validation", key: str = "loss") -> float:
        entries = self.validation if which == "validation" else self.train
        return float(entries[-1][key]) if entries else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "seconds": round(self.seconds, 1),
            "stopped_by": self.stopped_by,
            "train": self.train,
            "validation": self.validation,
        }


def run_training(
    step: Callable[[int], Metrics],
    evaluate: Callable[[], Metrics],
    options: TrainOptions,
    optimizers: Iterable[torch.optim.Optimizer] = (),
    description: str = "training",
) -> TrainLog:
    """Call ``step`` until the step or time budget is spent, evaluating on the way.

    Seed and threads must already be set (:func:`seed_everything`) before the model is
    built, so that the initial weights are reproducible too.
    """
    optimizers = list(optimizers)
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
    total = 1 if options.dry_run else options.steps
    budget = options.max_minutes * 60.0
    log = TrainLog()
    log.validation.append({"step": 0, **_rounded(evaluate())})
    started = time.perf_counter()
    window: list[Metrics] = []
    bar = tqdm(total=total, desc=description, disable=not options.progress, dynamic_ncols=True)
    index = 0
    while index < total:
        elapsed = time.perf_counter() - started
        if budget and elapsed >= budget:
            log.stopped_by = "time"
            break
        progress = max(index / total, elapsed / budget if budget else 0.0)
        scale = learning_rate_scale(index, progress, options)
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * scale
        window.append(step(index))
        index += 1
        bar.update(1)
        if index % options.eval_every == 0 or index == total:
            _record(log, index, window, evaluate())
            window = []
            bar.set_postfix(train=log.last("train"), val=log.last("validation"))
            if not options.progress:  # a plain line per evaluation, for logs without a terminal
                print(
                    f"{description}: step {index}/{total}, train {log.last('train'):.4f}, "
                    f"validation {log.last('validation'):.4f}, "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    else:
        log.stopped_by = "dry-run" if options.dry_run else "steps"
    if window:
        _record(log, index, window, evaluate())
    bar.close()
    log.steps = index
    log.seconds = time.perf_counter() - started
    return log


def _record(log: TrainLog, index: int, window: list[Metrics], validation: Metrics) -> None:
    keys = window[0].keys()
    log.train.append(
        {"step": index, **_rounded({k: float(np.mean([m[k] for m in window])) for k in keys})}
    )
    log.validation.append({"step": index, **_rounded(validation)})


def _rounded(metrics: Metrics) -> dict[str, float]:
    return {key: round(float(value), 5) for key, value in metrics.items()}


def clip_and_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor, options: TrainOptions
) -> None:
    """Backward, optional gradient clipping, optimiser step, zero the gradients."""
    loss.backward()
    if options.grad_clip:
        nn.utils.clip_grad_norm_(model.parameters(), options.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def plot_losses(log: TrainLog, path: Path, title: str, key: str = "loss") -> None:
    """Training and validation ``key`` against steps, as a PNG (matplotlib's Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.6), dpi=100)
    train = [(e["step"], e[key]) for e in log.train if key in e]
    validation = [(e["step"], e[key]) for e in log.validation if key in e]
    if train:
        axes.plot(*zip(*train, strict=True), label="train")
    if validation:
        axes.plot(*zip(*validation, strict=True), label="validation", marker=".")
    axes.set_xlabel("step")
    axes.set_ylabel(key)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


@dataclass(frozen=True)
class TrainingEntry:
    """What ``python -m generation.train <technique>`` needs from a technique's module.

    ``train(config, options, out)`` builds the data and the model, calls
    :func:`run_training`, saves the checkpoint at ``out`` (and its meta and loss curve)
    and returns the meta.
    """

    config_class: type[Any]
    options: TrainOptions
    train: Callable[[Any, TrainOptions, Path], dict[str, Any]]
    config_help: Mapping[str, str] = field(default_factory=dict)


def card_dir(out: Path) -> Path:
    """Where a checkpoint's model card and pictures live: ``checkpoints/<name>/``."""
    return out.parent / out.stem


def finish_training(
    model: nn.Module,
    config: Any,
    out: Path,
    log: TrainLog,
    options: TrainOptions,
    data: Mapping[str, Any],
    validation_loss: Callable[[nn.Module], float],
    title: str,
) -> dict[str, Any]:
    """Save the checkpoint (fp16 where it costs nothing), its meta and its loss curve.

    ``data`` describes the training data (corpus, split, pieces, windows); the meta gets
    it under ``data`` and the loop's history, options and timing under ``training``.
    """
    from generation.checkpoint import half_costs_nothing, save_checkpoint

    model.eval()
    half = half_costs_nothing(model, validation_loss)
    curve = card_dir(out) / "loss_curve.png"
    plot_losses(log, curve, title)
    meta = {
        "data": dict(data),
        "training": {
            **log.to_json(),
            "options": options.to_json(),
            "torch_threads": torch.get_num_threads(),
            "loss_curve": curve.name,
        },
    }
    return save_checkpoint(model, config, out, meta, half=half)
