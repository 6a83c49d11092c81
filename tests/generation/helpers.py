"""Helpers for tests that retrain a generator: a temporary checkpoint folder holding copies
of the shipped GAN weights, and a "retraining" that saves new weights the way training does."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import torch

from generation import archive
from generation.checkpoint import read_meta, save_checkpoint, shipped_path
from generation.gan import model as gan
from generation.gan.styles import STYLES

GAN_CHECKPOINTS = tuple(style.checkpoint for style in STYLES.values())


def forget_loaded_models() -> None:
    """Drop the GAN weights this process loaded, so the next run reads the folder again."""
    gan.shipped_model.cache_clear()
    gan.archived_model.cache_clear()


def temporary_checkpoints(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """Make ``folder`` the checkpoint folder, holding copies of the shipped GAN styles."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in GAN_CHECKPOINTS:
        for suffix in (".pt", ".json"):
            shutil.copy2(archive.checkpoint_path(name).with_suffix(suffix), folder)
    monkeypatch.setattr(archive, "CHECKPOINT_DIR", folder)
    forget_loaded_models()
    return folder


def retrain_gan(style: str, seed: int = 0) -> None:
    """Ship new weights for ``style`` through the save path training uses: the shipped
    model with noise as large as each weight tensor's own spread added to every one."""
    path = shipped_path("gan", style)
    model = copy.deepcopy(gan.shipped_model(style))
    noise = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.parameters():
            spread = tensor.std() if tensor.numel() > 1 else tensor.abs() + 1
            tensor.add_(torch.randn(tensor.shape, generator=noise) * spread)
    meta = {key: value for key, value in read_meta(path).items() if key in ("data", "training")}
    save_checkpoint(model, model.config, path, meta)
    forget_loaded_models()
