"""Generation requests that cannot finish in time are refused before they run.

A job's time is estimated from its technique's cost model (``generation.cost``: the
work grows with one parameter and the input's length) at the speed the workers were
last measured at: every finished job records its seconds per unit of work in the cache,
so on a busy machine the estimates grow with the load. A request estimated past the
budget (half the task's soft time limit, leaving room for the load to double before it
runs) is refused with the largest value that would fit; the worker checks again before
it starts, so a job queued before the machine got busy fails at once with the same
advice instead of running into the time limit. Without a shared cache (``CACHE_URL``)
the web process uses the reference speeds measured with ``bench/bench_generation_cost.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from chartbusters.core.errors import ApplicationError
from chartbusters.studio import generators

HEADROOM = 0.5  # of the soft time limit an estimate may use
RATE_KEY = "studio:generation-seconds-per-unit:{}"
RATE_TTL_SECONDS = 6 * 3600
RISE, FALL = 1.0, 0.3  # a slower run counts at once; a faster one moves the rate by 30 %


def budget_seconds() -> float:
    return float(settings.CELERY_TASK_SOFT_TIME_LIMIT) * HEADROOM


def seconds_per_unit(technique: str) -> float:
    """The workers' last measured speed, else the reference."""
    measured = cache.get(RATE_KEY.format(technique))
    if isinstance(measured, (int, float)) and measured > 0:
        return float(measured)
    return generators.cost_model(technique).seconds_per_unit


def estimate_seconds(technique: str, values: dict[str, Any], bars: int) -> float:
    model = generators.cost_model(technique)
    return model.seconds(values, bars, seconds_per_unit(technique))


def record_run(technique: str, values: dict[str, Any], bars: int, elapsed: float) -> float:
    """Fold a finished run's speed into the measured rate; the new rate. The whole run
    counts, fixed costs included, so that quick runs on short inputs cannot talk the
    rate down below what long ones need (estimates err on the slow side)."""
    units = generators.cost_model(technique).units(values, bars)
    measured = max(elapsed, 0.0) / max(units, 1e-9)
    old = cache.get(RATE_KEY.format(technique))
    if isinstance(old, (int, float)) and old > 0:
        weight = RISE if measured > old else FALL
        measured = old + weight * (measured - old)
    measured = max(measured, 1e-6)
    cache.set(RATE_KEY.format(technique), measured, RATE_TTL_SECONDS)
    return measured


def check_can_finish(technique: str, values: dict[str, Any], bars: int) -> None:
    """ApplicationError (400, ``too_slow``) for a request that cannot finish in time."""
    budget, rate = budget_seconds(), seconds_per_unit(technique)
    estimate = generators.cost_model(technique).seconds(values, bars, rate)
    if estimate <= budget:
        return
    param = generators.cost_model(technique).param
    largest = generators.largest_fitting(technique, values, bars, budget, rate) if param else None
    took = (
        f"At the generators' current speed this would take about {estimate:.0f} s on "
        f"{bars} bars; a generation may run {budget:.0f} s."
    )
    if largest is None:
        raise ApplicationError(
            f"{took} Use a shorter input.", code="too_slow", extra={"field": "input"}
        )
    title = generators.parameter_title(technique, param)
    shown = f"{largest:g}"
    raise ApplicationError(
        f"{took} Use at most {shown} for {title.lower()} (or a shorter input).",
        code="too_slow",
        extra={"field": param, "largest": largest},
    )
