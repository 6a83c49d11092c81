"""The shared training loop: budgets, dry run, seeding, evaluation history, loss curve."""

import torch
from torch import nn

from generation.training import (
    TrainOptions,
    adamw,
    clip_and_step,
    plot_losses,
    run_training,
    seed_everything,
)


def regression(options):
    seed_everything(options.seed, 1)
    model = nn.Linear(4, 1)
    target = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    inputs = torch.randn(64, 4)
    outputs = inputs @ target
    optimizer = adamw(model, options)

    def step(index):
        loss = nn.functional.mse_loss(model(inputs), outputs)
        clip_and_step(model, optimizer, loss, options)
        return {"loss": loss.item()}

    def evaluate():
        with torch.no_grad():
            return {"loss": nn.functional.mse_loss(model(inputs), outputs).item()}

    return model, run_training(step, evaluate, options, [optimizer], description="test")


def test_loss_falls_and_is_recorded_every_eval_interval():
    options = TrainOptions(steps=60, eval_every=20, lr=0.05, warmup_steps=5, progress=False)
    _, log = regression(options)
    assert log.steps == 60
    assert log.stopped_by == "steps"
    assert [e["step"] for e in log.validation] == [0, 20, 40, 60]
    assert [e["step"] for e in log.train] == [20, 40, 60]
    assert log.validation[-1]["loss"] < 0.5 * log.validation[0]["loss"]


def test_dry_run_takes_one_step():
    _, log = regression(TrainOptions(steps=60, dry_run=True, progress=False))
    assert log.steps == 1
    assert log.stopped_by == "dry-run"


def test_a_spent_time_budget_stops_the_run():
    _, log = regression(TrainOptions(steps=10_000, max_minutes=1e-9, progress=False))
    assert log.stopped_by == "time"
    assert log.steps < 10_000


def test_same_seed_same_weights():
    options = TrainOptions(steps=10, eval_every=5, progress=False)
    first, _ = regression(options)
    second, _ = regression(options)
    assert torch.equal(first.weight, second.weight)


def test_loss_curve_is_a_png(tmp_path):
    _, log = regression(TrainOptions(steps=10, eval_every=5, progress=False))
    path = tmp_path / "curve.png"
    plot_losses(log, path, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
