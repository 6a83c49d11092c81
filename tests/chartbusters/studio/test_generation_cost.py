"""No in-range generation request ends in "ran past its time limit" (issue 20, item 2):
a request estimated past the budget at the workers' measured speed is refused up front
with the largest value that fits, a queued job re-checks before it runs, every finished
job measures the speed, and the progress bar moves for the slow techniques."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio import costs, generators
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.studio.services import job_start
from chartbusters.studio.states import JobState
from chartbusters.studio.tasks import TIMED_OUT, run_generation_job
from generation import registry

pytestmark = pytest.mark.django_db
URL = "/api/studio/jobs/"
BUSY = 1.0  # seconds per unit of AR-CNN work: a machine far slower than the reference


def measured(technique: str, rate: float) -> None:
    """As if the workers had just measured ``rate`` seconds per unit of work."""
    cache.set(costs.RATE_KEY.format(technique), rate, 60)


def test_a_request_that_cannot_finish_is_refused_before_it_is_queued(
    as_alice: APIClient, sample_input: Composition
) -> None:
    measured("arcnn", BUSY)
    response = as_alice.post(
        URL,
        {"input": str(sample_input.uuid), "technique": "arcnn",
         "params": {"sampling_iterations": 500}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "too_slow"
    assert body["extra"]["field"] == "sampling_iterations"
    assert "Use at most" in body["detail"]
    assert "for sampling iterations" in body["detail"]
    assert not GenerationJob.objects.exists()
    largest = int(body["detail"].split("Use at most ")[1].split(" ")[0])
    assert 0 < largest < 500
    fits = {**registry.TECHNIQUES["arcnn"].params.defaults(), "sampling_iterations": largest}
    assert costs.estimate_seconds("arcnn", fits, sample_input.bars) <= costs.budget_seconds()
    accepted = as_alice.post(
        URL,
        {"input": str(sample_input.uuid), "technique": "arcnn",
         "params": {"sampling_iterations": largest}},
        format="json",
    )  # fmt: skip
    assert accepted.status_code == 202, accepted.json()


def test_at_the_reference_speed_every_value_in_range_fits_on_the_longest_input() -> None:
    """The shipped ranges are within what the reference machine finishes in time."""
    budget = float(settings.CELERY_TASK_SOFT_TIME_LIMIT) * costs.HEADROOM
    for name, technique in registry.TECHNIQUES.items():
        values = technique.params.defaults()
        param = technique.cost.param
        if param:
            spec = next(p for p in technique.params.params if p.name == param)
            assert spec.maximum is not None
            values[param] = spec.maximum
        assert technique.cost.seconds(values, generators.MAX_BARS) <= budget, name


def test_a_queued_job_that_can_no_longer_finish_fails_at_once_with_advice(
    alice: User, sample_input: Composition
) -> None:
    job = job_start(user=alice, input=sample_input, technique="arcnn",
                    params={"sampling_iterations": 500}, seed=1)  # fmt: skip
    measured("arcnn", BUSY)  # the machine got busy while it waited
    assert run_generation_job.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.retryable
    assert "Use at most" in job.message
    assert job.message != TIMED_OUT


@pytest.mark.slow
def test_a_finished_job_measures_the_workers_speed(alice: User, sample_input: Composition) -> None:
    assert cache.get(costs.RATE_KEY.format("arcnn")) is None
    job = job_start(user=alice, input=sample_input, technique="arcnn",
                    params={"sampling_iterations": 20}, seed=1)  # fmt: skip
    assert run_generation_job.run(job.pk) == "done"
    rate = cache.get(costs.RATE_KEY.format("arcnn"))
    assert isinstance(rate, float)
    assert rate > 0
    assert costs.seconds_per_unit("arcnn") == rate


def test_a_slower_run_raises_the_rate_at_once_and_a_faster_one_lowers_it_gently() -> None:
    values: dict[str, Any] = {**registry.TECHNIQUES["arcnn"].params.defaults()}
    units = generators.cost_model("arcnn").units(values, 8)
    assert costs.record_run("arcnn", values, 8, units * 0.02) == pytest.approx(0.02)
    assert costs.record_run("arcnn", values, 8, units * 0.05) == pytest.approx(0.05)
    lowered = costs.record_run("arcnn", values, 8, units * 0.01)
    assert 0.01 < lowered < 0.05


def test_the_slow_techniques_report_progress() -> None:
    """The bar moves while the AR-CNN and the Transformer work, not only at the end."""
    assert registry.TECHNIQUES["arcnn"].reports_progress
    assert registry.TECHNIQUES["transformer"].reports_progress
