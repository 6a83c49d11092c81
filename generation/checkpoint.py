"""Checkpoints: the plain ``state_dict`` of the unwrapped model plus a JSON meta file.

``save_checkpoint(model, config, path, meta)`` writes ``path`` (``NAME.pt``) and
``NAME.json``; the meta holds the config, so :func:`load_checkpoint` rebuilds the config
dataclass from it (unknown or missing fields are errors), builds the model and loads the
weights strictly. Weights load with ``torch.load(weights_only=True)``: no pickled code.

Shipped checkpoints live in ``generation/checkpoints/<technique>[-<style>].pt`` with
``.json`` beside them, and ``generation/checkpoints/<technique>/MODEL_CARD.md`` (plus its
pictures) describes each model. Saving over a shipped checkpoint moves the old one into
the archive (:mod:`generation.archive`), so the model version it made stays runnable.

Saving in fp16 halves the file; the training code only does so where it costs nothing
(:func:`half_costs_nothing`), and loading always returns float32 weights.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import pickle
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from generation import archive
from generation.archive import CHECKPOINT_DIR as CHECKPOINT_DIR  # where they were defined
from generation.archive import shipped_path as shipped_path
from generation.errors import ModelVersionError

REPO_ROOT = Path(__file__).resolve().parent.parent

ConfigT = TypeVar("ConfigT")
ModelT = TypeVar("ModelT", bound=nn.Module)


def meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def git_revision() -> str:
    """The current commit (with ``+dirty`` if the tree has changes), or ``unknown``."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(
    model: nn.Module,
    config: Any,
    path: Path,
    meta: Mapping[str, Any] | None = None,
    *,
    half: bool = False,
) -> dict[str, Any]:
    """Write the weights to ``path`` and the meta (config included) beside it; return the meta.

    ``half`` stores floating-point tensors as fp16 (buffers such as BatchNorm's counters
    keep their type). ``meta`` is anything JSON can hold: split, steps, losses, timing.
    Over a shipped checkpoint, the old weights and meta move into the archive once the new
    weights are written, and only then does the new file take the shipped name.
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError("config must be a dataclass instance")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        name: (tensor.half() if half and tensor.is_floating_point() else tensor).detach().cpu()
        for name, tensor in model.state_dict().items()
    }
    written = path.with_name(path.name + ".partial")
    torch.save(state, written)
    archived = archive.archive_shipped(path)
    written.replace(path)
    archive.forget_digests()
    if archived is not None:
        archive.drop_if_shipped_again(archived, path)
    full = {
        "config_class": type(config).__name__,
        "config": dataclasses.asdict(config),
        "dtype": "float16" if half else "float32",
        "parameters": parameter_count(model),
        "file_bytes": path.stat().st_size,
        "sha256": file_digest(path),
        "git_revision": git_revision(),
        "torch_version": torch.__version__,
        **dict(meta or {}),
    }
    meta_path(path).write_text(json.dumps(full, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return full


def read_meta(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(meta_path(Path(path)).read_text(encoding="utf-8"))
    return data


def config_from_meta(meta: Mapping[str, Any], config_class: type[ConfigT]) -> ConfigT:
    """Rebuild the config; a field added, renamed or dropped since saving is an error,
    except a field the class lists in its ``LEGACY_DEFAULTS`` (added later, with the
    value that reproduces the checkpoints saved before it)."""
    saved = dict(meta["config"])
    for name, value in getattr(config_class, "LEGACY_DEFAULTS", {}).items():
        saved.setdefault(name, value)
    names = {f.name for f in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    if set(saved) != names:
        raise ValueError(
            f"checkpoint config does not match {config_class.__name__}: "
            f"unknown {sorted(set(saved) - names)}, missing {sorted(names - set(saved))}"
        )
    return config_class(**saved)


def load_checkpoint(
    path: Path, config_class: type[ConfigT], build: Callable[[ConfigT], ModelT]
) -> tuple[ModelT, ConfigT, dict[str, Any]]:
    """``(model in eval mode with float32 weights, config, meta)`` from ``path`` and its meta."""
    path = Path(path)
    meta = read_meta(path)
    config = config_from_meta(meta, config_class)
    model = build(config)
    state = torch.load(path, map_location="cpu", weights_only=True)
    reference = model.state_dict()
    state = {
        name: tensor.to(reference[name].dtype) if name in reference else tensor
        for name, tensor in state.items()
    }
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, config, meta


def load_archived(
    path: Path, config_class: type[ConfigT], build: Callable[[ConfigT], ModelT]
) -> ModelT:
    """An archived checkpoint's model; :class:`ModelVersionError` (a message for the
    participant) when it no longer loads: deleted meanwhile, or its config or weights no
    longer fit today's model class."""
    try:
        return load_checkpoint(path, config_class, build)[0]
    except (OSError, ValueError, RuntimeError, KeyError, pickle.UnpicklingError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ModelVersionError(
            f"The archived weights {path.parent.name} no longer load here ({reason})."
        ) from exc


def round_to_half(model: nn.Module) -> None:
    """Round every floating-point weight to the nearest fp16 value, in place."""
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())


def half_costs_nothing(
    model: nn.Module, evaluate: Callable[[nn.Module], float], tolerance: float = 0.002
) -> bool:
    """Whether fp16 weights change ``evaluate`` (a validation loss) by at most ``tolerance``
    relative. Checked on a copy, so ``model`` is left as it was."""
    rounded = copy.deepcopy(model)
    round_to_half(rounded)
    with torch.no_grad():
        before = evaluate(model)
        after = evaluate(rounded)
    return abs(after - before) <= tolerance * max(abs(before), 1e-12)
