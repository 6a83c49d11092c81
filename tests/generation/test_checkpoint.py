"""Checkpoints: plain state dict + JSON meta, strict loading, fp16 only where it is free."""

import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from generation.checkpoint import half_costs_nothing, load_checkpoint, read_meta, save_checkpoint


@dataclass
class TinyConfig:
    width: int = 4


class Tiny(nn.Module):
    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        self.layer = nn.Linear(3, config.width)
        self.norm = nn.BatchNorm1d(config.width)

    def forward(self, x):
        return self.norm(self.layer(x))


def saved(tmp_path, half=False):
    torch.manual_seed(0)
    model = Tiny(TinyConfig(width=5)).eval()
    path = tmp_path / "tiny.pt"
    save_checkpoint(model, TinyConfig(width=5), path, {"data": {"split": "train"}}, half=half)
    return model, path


def test_round_trip_gives_identical_output(tmp_path):
    model, path = saved(tmp_path)
    loaded, config, meta = load_checkpoint(path, TinyConfig, Tiny)
    x = torch.randn(7, 3)
    assert config == TinyConfig(width=5)
    assert torch.equal(model(x), loaded(x))
    assert not loaded.training
    assert meta["data"] == {"split": "train"}
    assert meta["parameters"] == sum(p.numel() for p in model.parameters())


def test_meta_is_plain_json_beside_the_weights(tmp_path):
    _, path = saved(tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["config"] == {"width": 5}
    assert meta["config_class"] == "TinyConfig"
    assert {"git_revision", "sha256", "dtype", "torch_version"} <= set(meta)
    assert isinstance(torch.load(path, weights_only=True), dict)


def test_fp16_weights_come_back_as_float32(tmp_path):
    model, path = saved(tmp_path, half=True)
    loaded, _, meta = load_checkpoint(path, TinyConfig, Tiny)
    assert meta["dtype"] == "float16"
    assert loaded.layer.weight.dtype == torch.float32
    assert torch.allclose(loaded.layer.weight, model.layer.weight, atol=1e-3)


def test_loading_refuses_a_config_that_changed_shape(tmp_path):
    _, path = saved(tmp_path)
    meta = read_meta(path)
    meta["config"]["depth"] = 3
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="unknown \\['depth'\\]"):
        load_checkpoint(path, TinyConfig, Tiny)


def test_loading_is_strict_about_weights(tmp_path):
    _, path = saved(tmp_path)
    meta = read_meta(path)
    meta["config"]["width"] = 6
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_checkpoint(path, TinyConfig, Tiny)


def test_half_precision_is_judged_on_a_copy():
    model = Tiny(TinyConfig()).eval()
    before = model.layer.weight.clone()
    x = torch.randn(16, 3)
    assert half_costs_nothing(model, lambda m: m(x).abs().mean().item(), tolerance=0.01)
    assert torch.equal(model.layer.weight, before)
