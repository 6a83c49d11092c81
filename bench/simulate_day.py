"""A challenge's last day at reduced scale, against the real stack: gunicorn on PostgreSQL,
Redis as broker and cache, real scoring and audio workers, readers on the board.

Run ``python bench/simulate_day.py`` with DATABASE_URL (PostgreSQL), CELERY_BROKER_URL and
CACHE_URL (Redis) set. Like ``bench_load.py`` (whose harness it uses) it makes a fresh
database ``<name>_load`` and ``--participants`` accounts with API tokens, then replays a
day compressed into ``--minutes``: ``--entries`` submissions whose arrival times follow the
curve below (quiet morning, busier afternoon, the rush in the last hours), each posted at
its time over HTTP (multipart, token auth) by a pool of senders, while ``--readers``
threads keep reading the board page and the board API. ``--scoring-workers`` worker
processes read "evaluation" and ``--audio-workers`` read "audio" (entries' listening copies
never delay a score).

Reports: p50/p95/max time from submit to scored (the entries' own ``created_at`` and
``scored_at``), every entry scored exactly once (none lost, none scored twice), the
"evaluation" queue's depth over time (sampled each second, printed per tenth of the day),
the board's read latency during the rush and outside it, and a capacity model: the
scoring rate per worker process measured here (entries an hour per core, all entries
after each worker's first) and the cores a day of ``--model-entries`` entries with the
same curve needs to keep time-to-score under 5 minutes.
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import (
    PYTHON,
    Phase,
    healthy,
    multipart,
    process,
    server_env,
    setup_django,
    wait_for,
)

# Share of the day's entries in each of its 24 hours: quiet until the afternoon, then the
# rush of the last four hours (about 45 % of the entries), as deadline days go.
HOURLY = [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 8, 10, 14, 20]
RUSH_HOURS = 4
TARGET_SECONDS = 300.0  # time-to-score the capacity model must keep under (p95)
UTILISATION = 0.8  # the busiest hour may load the scoring cores this much, no more


def arrival_times(entries: int, day_seconds: float, rng: random.Random) -> list[float]:
    """``entries`` arrival times in [0, day_seconds), drawn from the hourly curve."""
    total = sum(HOURLY)
    cumulative = [sum(HOURLY[: i + 1]) / total for i in range(len(HOURLY))]
    hour_seconds = day_seconds / len(HOURLY)
    times = []
    for _ in range(entries):
        hour = bisect.bisect(cumulative, rng.random())
        times.append((min(hour, len(HOURLY) - 1) + rng.random()) * hour_seconds)
    return sorted(times)


def accounts(count: int) -> list[str]:
    from chartbusters.accounts.services import api_token_create, user_create

    tokens = []
    for i in range(count):
        user = user_create(username=f"day{i}", email=f"day{i}@example.com", password=None)
        tokens.append(api_token_create(user=user, name="day")[1])
    return tokens


def worker(queue: str, name: str) -> list[str]:
    return [PYTHON, "-m", "celery", "-A", "chartbusters", "worker", f"--queues={queue}",
            "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
            f"--hostname={name}@%h"]  # fmt: skip


class Day:
    """The replay: senders post at their arrival times, readers read, a sampler counts."""

    def __init__(self, args: argparse.Namespace, slug: str, tokens: list[str]) -> None:
        from tests.chartbusters.builders import piece

        self.args, self.slug, self.tokens = args, slug, tokens
        self.day_seconds = args.minutes * 60.0
        self.arrivals = arrival_times(args.entries, self.day_seconds, random.Random(7))
        fields = [{"title": f"Day {i}", "technique": "upload"} for i in range(args.entries)]
        self.bodies = [
            multipart(fields[i], f"day-{i}.mid", piece(50_000 + i)) for i in range(args.entries)
        ]
        self.posted: dict[int, int] = {}  # status -> count
        self.depths: list[tuple[float, int]] = []
        self.reads = {
            "rush": Phase("board reads in the rush"),
            "before": Phase("board reads before"),
        }
        self.lock = threading.Lock()
        self.start = 0.0
        self.done = threading.Event()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def in_rush(self, at: float) -> bool:
        return at >= self.day_seconds * (1 - RUSH_HOURS / len(HOURLY))

    def send(self, lane: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
        for i in range(lane, len(self.arrivals), self.args.senders):
            delay = self.arrivals[i] - self.elapsed()
            if delay > 0:
                time.sleep(delay)
            body, content_type = self.bodies[i]
            headers = {"Authorization": f"Token {self.tokens[i % len(self.tokens)]}",
                       "Content-Type": content_type}  # fmt: skip
            try:
                conn.request("POST", f"/api/challenges/{self.slug}/submissions/", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
                status = 0
            with self.lock:
                self.posted[status] = self.posted.get(status, 0) + 1
        conn.close()

    def read(self, lane: int) -> None:
        rng = random.Random(lane)
        conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
        paths = [
            f"/challenges/{self.slug}/leaderboard/",
            f"/api/challenges/{self.slug}/leaderboard/",
        ]
        while not self.done.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", rng.choice(paths))
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
                status = 0
            at = self.elapsed()
            phase = self.reads["rush" if self.in_rush(at) else "before"]
            phase.record(status, time.perf_counter() - started)
            time.sleep(self.args.read_pause)
        conn.close()

    def sample(self) -> None:
        from chartbusters.core.queues import queue_depth

        while not self.done.is_set():
            self.depths.append((self.elapsed(), queue_depth("evaluation") or 0))
            time.sleep(1.0)

    def run(self) -> None:
        threads = [threading.Thread(target=self.send, args=(i,)) for i in range(self.args.senders)]
        readers = [threading.Thread(target=self.read, args=(i,)) for i in range(self.args.readers)]
        sampler = threading.Thread(target=self.sample)
        self.start = time.perf_counter()
        for thread in [*threads, *readers, sampler]:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(self.settled, timeout=self.args.drain_minutes * 60)
        self.done.set()
        for thread in [*readers, sampler]:
            thread.join()
        rush_starts = self.day_seconds * (1 - RUSH_HOURS / len(HOURLY))
        self.reads["before"].seconds = rush_starts
        self.reads["rush"].seconds = self.elapsed() - rush_starts  # the drain included

    def settled(self) -> bool:
        from chartbusters.submissions.models import Submission
        from chartbusters.submissions.states import TERMINAL_STATES

        entries = Submission.objects.filter(challenge__slug=self.slug)
        return not entries.exclude(state__in=TERMINAL_STATES).exists()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else math.nan


def report(day: Day, args: argparse.Namespace) -> int:
    from chartbusters.submissions.models import Submission

    rows = list(
        Submission.objects.filter(challenge__slug=day.slug).values_list(
            "state", "created_at", "scored_at", "attempts"
        )
    )
    scored = [(c, s) for state, c, s, _ in rows if state == "scored" and s]
    waits = [(s - c).total_seconds() for c, s in scored]
    accepted = day.posted.get(201, 0)
    once = all(attempts == 1 for state, _, _, attempts in rows if state == "scored")
    print(f"\nday of {args.minutes:.0f} min: {args.entries} entries from {args.participants} "
          f"participants, {args.scoring_workers} scoring + {args.audio_workers} audio worker "
          f"processes, gunicorn {args.workers} x {args.threads}; {args.readers} readers; load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"posted: {dict(sorted(day.posted.items()))}; stored {len(rows)}; scored "
          f"{len(scored)}; each scored once: {once}")  # fmt: skip
    print(f"submit to scored: p50 {percentile(waits, 0.5):.1f} s, p95 "
          f"{percentile(waits, 0.95):.1f} s, max {max(waits, default=math.nan):.1f} s "
          f"(target p95 < {TARGET_SECONDS:.0f} s: "
          f"{'met' if percentile(waits, 0.95) < TARGET_SECONDS else 'MISSED'})")  # fmt: skip
    print("\nqueue depth ('evaluation'), the largest in each tenth of the day:")
    tenth = day.day_seconds / 10
    for i in range(10):
        depths = [d for at, d in day.depths if i * tenth <= at < (i + 1) * tenth]
        arrived = sum(1 for at in day.arrivals if i * tenth <= at < (i + 1) * tenth)
        print(f"  {i * 10:>3}-{(i + 1) * 10:>3} %  arrivals {arrived:>5}  depth max "
              f"{max(depths, default=0):>5}")  # fmt: skip
    late = [d for at, d in day.depths if at >= day.day_seconds]
    print(f"  after the day: drained in {len(late)} s")
    print(f"\n{'reads':<28} {'reqs':>6} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8}   statuses")  # fmt: skip
    for phase in day.reads.values():
        if phase.latencies:
            print(phase.line())
    capacity(scored, args)
    lost = accepted != len(rows) or len(scored) != accepted or not once
    print("RESULT:", "FAIL (an entry lost, failed or scored twice)" if lost else "ok")
    return 1 if lost else 0


def capacity(scored: list[tuple[Any, Any]], args: argparse.Namespace) -> None:
    """Entries an hour per scoring core, from the gaps between scores while entries were
    waiting (the workers busy: a gap is then the service time over the worker count); the
    cores a full day needs so that its busiest hour loads them at UTILISATION."""
    done = sorted(scored, key=lambda pair: pair[1])[args.scoring_workers :]  # warm-up: first
    gaps = [
        (done[i + 1][1] - done[i][1]).total_seconds()
        for i in range(len(done) - 1)
        if done[i + 1][0] < done[i][1]  # the next entry was already waiting
    ]
    if len(gaps) < 10:
        print(f"\ncapacity model: only {len(gaps)} scores while entries waited, too few "
              "to measure the rate (a shorter day or fewer workers makes a backlog)")  # fmt: skip
        return
    service = statistics.median(gaps) * args.scoring_workers
    per_core = 3600 / service
    peak_hour = args.model_entries * max(HOURLY) / sum(HOURLY)
    cores = math.ceil(peak_hour / (per_core * UTILISATION))
    print(f"\ncapacity model: {service:.2f} s of a scoring core per entry (median of {len(gaps)} "
          f"gaps between scores while entries waited), {per_core:,.0f} entries an hour per "
          f"core. A day of {args.model_entries:,} entries with this curve has "
          f"{peak_hour:,.0f} in its busiest hour: {cores} scoring cores run it at "
          f"{UTILISATION:.0%} load or less, so entries wait seconds, far under "
          f"{TARGET_SECONDS / 60:.0f} min (audio, generation on cores of their own)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000, help="1/100 of a 100,000 day")
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=10.0, help="the day, compressed")
    parser.add_argument("--scoring-workers", type=int, default=1)
    parser.add_argument("--audio-workers", type=int, default=1)
    parser.add_argument("--audio-nice", type=int, default=10, help="niceness of audio workers")
    parser.add_argument("--readers", type=int, default=4, help="threads reading the board")
    parser.add_argument("--read-pause", type=float, default=0.05, help="seconds between reads")
    parser.add_argument("--senders", type=int, default=8, help="threads posting entries")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--drain-minutes", type=float, default=15.0)
    parser.add_argument("--model-entries", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="simulate-day-"))
    env = server_env("simulate-day", data_dir)
    setup_django(env)
    from django.core.management import call_command

    from tests.chartbusters.builders import make_challenge

    call_command("collectstatic", interactive=False, verbosity=0)
    challenge = make_challenge("last-day", daily_quota=1000, total_quota=1000)
    tokens = accounts(args.participants)
    gunicorn = [PYTHON, "-m", "gunicorn", "chartbusters.wsgi:application",
                f"--bind=127.0.0.1:{args.port}", f"--workers={args.workers}",
                f"--threads={args.threads}", "--worker-class=gthread",
                "--keep-alive=30"]  # fmt: skip
    with ExitStack() as stack:
        stack.enter_context(process(gunicorn, env, data_dir / "gunicorn.log"))
        for i in range(args.scoring_workers):
            command = worker("evaluation", f"scoring{i}")
            stack.enter_context(process(command, env, data_dir / f"scoring{i}.log"))
        for i in range(args.audio_workers):
            # Here audio shares two cores with everything else; nice keeps it to idle CPU,
            # as its own cores would in a deployment (the "scaled" compose profile).
            command = ["nice", "-n", str(args.audio_nice), *worker("audio", f"audio{i}")]
            stack.enter_context(process(command, env, data_dir / f"audio{i}.log"))
        if not wait_for(lambda: healthy(args.port), timeout=60):
            raise SystemExit(f"gunicorn did not start: see {data_dir / 'gunicorn.log'}")
        day = Day(args, challenge.slug, tokens)
        day.run()
    return report(day, args)


if __name__ == "__main__":
    raise SystemExit(main())
