"""What a generation request costs, so that a request that cannot finish in time is
refused before it runs rather than cut off by the time limit.

Each technique's time is modelled as ``base_seconds + units(values, bars) *
seconds_per_unit``: the work grows with one parameter (the AR-CNN's sampling iterations,
the Transformer's extension) and with the input's length. ``seconds_per_unit`` here is
the reference, measured with ``python bench/bench_generation_cost.py`` on one torch
thread on a busy 2-core machine (load average 6-10); a service measures its own workers
as they run jobs and uses that instead (``chartbusters.studio.costs``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from generation.params import ParamSpec, ParamValue

Units = Callable[[Mapping[str, ParamValue], int], float]


@dataclass(frozen=True)
class CostModel:
    param: str  # the parameter the time grows with ("" when only the input matters)
    units: Units
    seconds_per_unit: float
    base_seconds: float

    def seconds(
        self, values: Mapping[str, ParamValue], bars: int, per_unit: float | None = None
    ) -> float:
        """The expected run time, at ``per_unit`` seconds per unit (else the reference)."""
        rate = self.seconds_per_unit if per_unit is None else per_unit
        return self.base_seconds + self.units(values, bars) * rate

    def largest_fitting(
        self,
        spec: ParamSpec,
        values: Mapping[str, ParamValue],
        bars: int,
        budget: float,
        per_unit: float | None = None,
    ) -> float | None:
        """The largest value of ``param`` (within its range) whose run fits ``budget``
        seconds with the other values as given; None if not even its minimum fits."""
        param = next((p for p in spec.params if p.name == self.param), None)
        if param is None or param.minimum is None or param.maximum is None:
            return None
        low, high = float(param.minimum), float(param.maximum)

        def fits(value: float) -> bool:
            return self.seconds({**values, self.param: value}, bars, per_unit) <= budget

        if not fits(low):
            return None
        for _ in range(40):  # the time grows with the parameter: bisect
            middle = (low + high) / 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        best = low if not fits(high) else high
        return float(int(best)) if param.kind == "int" else round(best, 1)


def arcnn_units(values: Mapping[str, ParamValue], bars: int) -> float:
    """Gibbs steps, each a pass of the network over the piece (longer pieces cost more,
    less than in proportion: 1000 steps took 18.8 s on 16 bars and 21.9 s on 32)."""
    return max(float(values["sampling_iterations"]), 1.0) * (1 + bars / 32)


def transformer_units(values: Mapping[str, ParamValue], bars: int) -> float:
    """Seconds of music to write, one token at a time (the input is read once)."""
    return float(values["extension_duration"]) + bars / 8


def gan_units(values: Mapping[str, ParamValue], bars: int) -> float:
    """One generator pass per window of bars."""
    return float(max(bars, 1))
