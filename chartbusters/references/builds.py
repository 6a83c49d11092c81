"""Building a judge version: the pipeline behind "Build judge" (queue ``training``).

The same shape as scoring and generation: a row per job with guarded states (queued ->
running -> built | failed | cancelled; terminal states stay terminal), claimed in one
transaction, the task taking the row's id and queued on commit. Progress (stage, share
done, log) is written as the build reaches each stage, and a heartbeat every
``HEARTBEAT_SECONDS`` while it runs; the build stops at the next stage when a host has
asked to cancel it. A running build whose heartbeat stops (its worker was killed or
restarted) is failed by the reaper (beat, queue "celery"), with the reason. A version's
folder appears only when the build has finished (``evaluation.host_profile``), so nothing
half-built can judge.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.core.enqueue import task
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import building
from chartbusters.references.models import BuildState, JudgeBuild, ReferenceSet
from chartbusters.references.services import reference_set_scores

logger = logging.getLogger(__name__)
BUILD_TASK = "chartbusters.references.tasks.build_judge"
HEARTBEAT_SECONDS = 30
# A running build whose worker has not beaten for this long has stopped (killed,
# restarted): the reaper fails it, and cancelling it ends it at once.
STALE_AFTER = timedelta(minutes=5)
REAP_TASK = "chartbusters.references.tasks.reap_stuck_builds"
MAX_LOG_CHARS = 20_000


class BuildCancelled(Exception):
    """A host asked to cancel the build: raised inside it at the next stage."""


def judge_build_start(*, reference_set: ReferenceSet, by: User, enqueue: bool = True) -> JudgeBuild:
    """Host action: queue the next version of the set's judge (``enqueue=False``: the
    caller runs it in its own process, as ``build_demo_judge`` does)."""
    with transaction.atomic():
        locked = ReferenceSet.objects.select_for_update().get(pk=reference_set.pk)
        if locked.builds.filter(state__in=(BuildState.QUEUED, BuildState.RUNNING)).exists():
            raise ApplicationError("A judge of this set is already being built.", status=409)
        if not locked.pieces.exists():
            raise ApplicationError("The set has no pieces yet: upload or pick some first.")
        version = (locked.builds.aggregate(v=Max("version"))["v"] or 0) + 1
        build = JudgeBuild.objects.create(
            reference_set=locked,
            version=version,
            profile_name=f"{locked.slug}-v{version}",
            requested_by=by,
            pieces=locked.pieces.count(),
            stage="waiting for a training worker",
        )
        if enqueue:
            task(BUILD_TASK).delay_on_commit(build.pk)
    return build


def judge_build_cancel(*, build: JudgeBuild) -> JudgeBuild:
    """Host action: a queued build ends now; a running one at its next stage (at once
    if its worker has stopped reporting)."""
    with transaction.atomic():
        locked = JudgeBuild.objects.select_for_update().get(pk=build.pk)
        if locked.is_finished:
            raise ApplicationError(f"The build is already {locked.get_state_display().lower()}.")
        now = timezone.now()
        stale = locked.heartbeat_at is not None and now - locked.heartbeat_at > STALE_AFTER
        if locked.state == BuildState.QUEUED or stale:
            _finish(locked, BuildState.CANCELLED, error="Cancelled by a host.")
        else:
            locked.cancel_requested = True
            locked.save(update_fields=["cancel_requested"])
    return locked


def _finish(build: JudgeBuild, state: str, *, error: str = "") -> None:
    build.state = state
    build.error = error
    build.finished_at = timezone.now()
    build.stage = "done" if state == BuildState.BUILT else str(state)
    if state == BuildState.BUILT:
        build.progress = 1.0
    build.save(update_fields=["state", "error", "finished_at", "stage", "progress"])


def judge_build_claim(*, build_id: int) -> JudgeBuild | None:
    """queued -> running; None if the build is not waiting (a repeated delivery)."""
    with transaction.atomic():
        build = JudgeBuild.objects.select_for_update().filter(pk=build_id).first()
        if build is None or build.state != BuildState.QUEUED:
            return None
        now = timezone.now()
        build.state, build.started_at, build.heartbeat_at = BuildState.RUNNING, now, now
        build.stage = "reading the pieces"
        build.save(update_fields=["state", "started_at", "heartbeat_at", "stage"])
    return build


class _Reporter:
    """Writes a build's progress and log to its row; raises BuildCancelled when asked."""

    def __init__(self, build_id: int) -> None:
        self.build_id = build_id
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        logger.info("judge build %s: %s", self.build_id, line)
        self.lines.append(line)

    def progress(self, stage: str, done: float) -> None:
        with transaction.atomic():
            build = JudgeBuild.objects.select_for_update().get(pk=self.build_id)
            if build.cancel_requested:
                raise BuildCancelled
            build.stage, build.progress = stage, max(build.progress, done)
            build.heartbeat_at = timezone.now()
            build.log = self.text()
            build.save(update_fields=["stage", "progress", "heartbeat_at", "log"])

    def text(self) -> str:
        return "\n".join(self.lines)[-MAX_LOG_CHARS:]


def judge_build_run(*, build: JudgeBuild, quick: bool | None = None) -> JudgeBuild:
    """Run a claimed build to its end state (the task's work)."""
    reporter = _Reporter(build.pk)
    quick = settings.JUDGE_BUILD_QUICK if quick is None else quick
    try:
        with heartbeat(build.pk):
            pieces = reference_set_scores(build.reference_set)
            reporter.log(f"{len(pieces)} pieces read")
            figures = building.build_judge(
                name=build.profile_name,
                description=_description(build.reference_set),
                pieces=pieces,
                quick=quick,
                progress=reporter.progress,
                log=reporter.log,
            )
    except BuildCancelled:
        return _end(build.pk, reporter, BuildState.CANCELLED, "Cancelled by a host.")
    except building.JudgeBuildRefused as exc:
        return _end(build.pk, reporter, BuildState.FAILED, str(exc))
    except SoftTimeLimitExceeded:
        limit = settings.JUDGE_BUILD_TIME_LIMIT // 60
        reason = f"The build ran past its time limit ({limit} minutes): try a smaller set."
        return _end(build.pk, reporter, BuildState.FAILED, reason)
    except Exception as exc:  # ours, not the host's: say so, keep the details in the log
        logger.exception("Judge build %s failed", build.pk)
        reason = f"The build stopped on an internal error ({type(exc).__name__}: {exc})."
        return _end(build.pk, reporter, BuildState.FAILED, reason)
    return _end(build.pk, reporter, BuildState.BUILT, "", figures)


@contextmanager
def heartbeat(build_id: int, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Beat for the build from a thread while the block runs (a critic stage takes many
    minutes without reaching a stage boundary)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                JudgeBuild.objects.filter(pk=build_id, state=BuildState.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"judge-build-{build_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def judge_builds_reap(*, now: datetime | None = None) -> int:
    """Fail running builds whose worker stopped beating; how many."""
    now = now or timezone.now()
    reaped = 0
    stale = JudgeBuild.objects.filter(
        state=BuildState.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    ).values_list("pk", flat=True)
    for build_id in stale:
        with transaction.atomic():
            build = JudgeBuild.objects.select_for_update().get(pk=build_id)
            if build.state != BuildState.RUNNING or build.heartbeat_at is None:
                continue
            if build.heartbeat_at >= now - STALE_AFTER:
                continue
            reason = (
                f"The training worker stopped answering during “{build.stage}” (killed or "
                "restarted); nothing was kept. Build the judge again."
            )
            _finish(build, BuildState.FAILED, error=reason)
            reaped += 1
    return reaped


def _description(reference_set: ReferenceSet) -> str:
    text = reference_set.description or reference_set.name
    return f"{text} (host-built from the reference set “{reference_set.name}”)"


def _end(
    build_id: int, reporter: _Reporter, state: str, error: str, figures: dict | None = None
) -> JudgeBuild:
    with transaction.atomic():
        build = JudgeBuild.objects.select_for_update().get(pk=build_id)
        if build.is_finished:
            return build
        if error:
            reporter.log(error)
        build.log = reporter.text()
        if figures is not None:
            build.figures = figures
            build.passes_validity = bool(figures.get("passes"))
            build.save(update_fields=["log", "figures", "passes_validity"])
        else:
            build.save(update_fields=["log"])
        _finish(build, state, error=error)
    return build


def eta_seconds(build: JudgeBuild) -> float | None:
    """Seconds left, from the time spent and the share done (None before it says)."""
    if build.state != BuildState.RUNNING or build.started_at is None or build.progress < 0.04:
        return None
    spent = (timezone.now() - build.started_at).total_seconds()
    return spent * (1 - build.progress) / build.progress
