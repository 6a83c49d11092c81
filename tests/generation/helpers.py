"""Helpers for tests that retrain a generator: a temporary checkpoint folder holding copies
of shipped weights, and a "retraining" that saves new weights the way training does."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from generation import archive
from generation.arcnn import gibbs as arcnn
from generation.checkpoint import read_meta, save_checkpoint, shipped_path
from generation.gan import model as gan
from generation.gan.styles import STYLES
from generation.transformer import model as transformer

GAN_CHECKPOINTS = tuple(style.checkpoint for style in STYLES.values())


def forget_loaded_models() -> None:
    """Drop the weights this process loaded, so the next run reads the folder again."""
    for module in (gan, arcnn, transformer):
        module.shipped_model.cache_clear()
        module.archived_model.cache_clear()


def temporary_checkpoints(
    monkeypatch: pytest.MonkeyPatch, folder: Path, names: tuple[str, ...] = GAN_CHECKPOINTS
) -> Path:
    """Make ``folder`` the checkpoint folder, holding copies of the shipped ``names``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        for suffix in (".pt", ".json"):
            shutil.copy2(archive.checkpoint_path(name).with_suffix(suffix), folder)
    monkeypatch.setattr(archive, "CHECKPOINT_DIR", folder)
    forget_loaded_models()
    return folder


def shipped_model(technique: str, style: str = "") -> Any:
    if technique == "gan":
        return gan.shipped_model(style)
    return {"arcnn": arcnn, "transformer": transformer}[technique].shipped_model()


def retrain(technique: str, style: str = "", seed: int = 0) -> None:
    """Ship new weights through the save path training uses: the shipped model with noise
    as large as each weight tensor's own spread added to every one."""
    path = shipped_path(technique, style)
    model = copy.deepcopy(shipped_model(technique, style))
    noise = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.parameters():
            spread = tensor.std() if tensor.numel() > 1 else tensor.abs() + 1
            tensor.add_(torch.randn(tensor.shape, generator=noise) * spread)
    meta = {key: value for key, value in read_meta(path).items() if key in ("data", "training")}
    save_checkpoint(model, model.config, path, meta)
    forget_loaded_models()


def retrain_gan(style: str, seed: int = 0) -> None:
    retrain("gan", style, seed)
