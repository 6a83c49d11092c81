"""Reads of judge builds: the validity gate a challenge passes through."""

from __future__ import annotations

from chartbusters.evaluator import scoring
from chartbusters.references.models import BuildState, JudgeBuild


def judge_gate_problem(profile_name: str, *, use_anyway: bool) -> str | None:
    """Why a challenge may not be judged by ``profile_name`` (None: it may). Shipped
    profiles always may; a host-built version must be built, and must have met the
    validity targets on its own test split unless the host ticked "use anyway"."""
    if not scoring.is_host_built(profile_name):
        return None
    build = JudgeBuild.objects.filter(profile_name=profile_name).first()
    if build is None or build.state != BuildState.BUILT:
        return f"The judge {profile_name} is not built."
    if build.passes_validity or use_anyway:
        return None
    return (
        f"The judge {profile_name} did not meet the validity targets on its own held-out "
        "pieces (see its page under Judge builds). Tick “Use a judge below the validity "
        "targets anyway” to use it regardless: the challenge page will say so."
    )


def judge_below_targets(profile_name: str) -> bool:
    """Whether ``profile_name`` is a host-built version that missed the targets."""
    if not scoring.is_host_built(profile_name):
        return False
    return JudgeBuild.objects.filter(
        profile_name=profile_name, state=BuildState.BUILT, passes_validity=False
    ).exists()
