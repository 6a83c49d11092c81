"""The real Celery app, with hooks the fault tests switch on through the environment.

A fault test needs a worker that is *inside* an evaluation when the fault strikes, and a
lease short enough to expire while the test waits. Nothing of the pipeline is replaced:
the hooks only hold the real judge (before or after it runs) and shorten the lease.

- ``HARDENING_EVALUATION_LEASE_SECONDS``: the lease a claim takes (production derives it
  from the task time limit, minutes).
- ``HARDENING_JUDGE_HOLD=forever``: the judge never returns (the worker is to be killed).
- ``HARDENING_GENERATOR_HOLD=forever``: a studio generator never returns.
- ``HARDENING_JUDGE_HOLD=<path>``: the real judge runs, creates ``<path>.waiting``, then
  waits until ``<path>`` exists before its report is written (the test breaks something
  in between).
- ``HARDENING_CRASH_TITLE=<title>``: rendering the audio of an entry with that title
  kills the worker process with SIGSEGV, as a crash in native code would (the real
  renderer now runs in a child process, so only such a hook can still kill the worker).
- ``HARDENING_JUDGE_DELAY=<seconds>``: the real judge runs this much slower (a slow
  worker with a backlog behind it).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from chartbusters.celery import app

__all__ = ["app"]


def _forever(*_: Any, **__: Any) -> Any:
    while True:
        time.sleep(1)


def _crash_on_title(title: str) -> None:
    from chartbusters.submissions import audio

    real_render = audio._render

    def crashing_render(submission: Any) -> bytes:
        if submission.title == title:
            os.kill(os.getpid(), signal.SIGSEGV)
        return real_render(submission)

    audio._render = crashing_render


@worker_process_init.connect
def _install_hooks(**_: Any) -> None:
    from django.conf import settings

    from chartbusters.submissions import tasks

    crash_title = os.environ.get("HARDENING_CRASH_TITLE")
    if crash_title:
        _crash_on_title(crash_title)
    if os.environ.get("HARDENING_GENERATOR_HOLD") == "forever":
        from generation import registry

        registry.generate = _forever
    lease = os.environ.get("HARDENING_EVALUATION_LEASE_SECONDS")
    if lease:
        settings.SUBMISSION_EVALUATION_LEASE_SECONDS = int(lease)
    real_judge = tasks.judge
    delay = float(os.environ.get("HARDENING_JUDGE_DELAY") or 0)
    if delay:

        def slow_judge(submission: Any) -> Any:
            time.sleep(delay)
            return real_judge(submission)

        tasks.judge = slow_judge
    hold = os.environ.get("HARDENING_JUDGE_HOLD")
    if not hold:
        return

    def held_judge(submission: Any) -> Any:
        if hold == "forever":
            _forever()
        report = real_judge(submission)
        Path(f"{hold}.waiting").touch()
        while not Path(hold).exists():
            time.sleep(0.05)
        return report

    tasks.judge = held_judge
