"""Benchmark a long backlog behind one slow worker: no entry failed for waiting, no
duplicate messages (issue 14, item 2).

Run ``python bench/bench_backlog.py`` with PostgreSQL and Redis listening. It creates its
own database (``DATABASE_URL``, default
``postgres://root@127.0.0.1:5432/chartbusters_bench_backlog``; the name must contain
"bench"), uses Redis as the broker (``CELERY_BROKER_URL``, default
``redis://127.0.0.1:6379/12``; its queues are purged), then:

* stores ``--entries`` entries (2,000) through ``submission_create``, as the upload
  views do, so each is queued and its scoring message published on commit;
* starts ONE scoring worker (concurrency 1, queue "evaluation") whose judge takes
  ``--judge-seconds`` per entry (``backlog_worker_app``: a fixed report, so the bench
  measures the queue, not the judge), and a second worker on the default queue that
  runs beat with the reaper every second (the entries' audio renders are dropped: they
  would sit in front of the reaper on that queue, and this bench is about scoring);
* with a queue lease of ``--queue-lease`` seconds (5), far shorter than the wait: the
  last entries wait hundreds of leases;
* while the backlog drains, samples the broker's evaluation queue against the entries
  still waiting (a second copy of a waiting message would make the queue longer).

Prints: entries scored and failed, attempts, scoring deliveries per entry (counted by the
worker), the largest excess of messages over waiting entries, and as the baseline from
the same run how many entries waited longer than the old rule allowed (three queue
leases: the reaper before this change failed every one of them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_leaderboard import fresh_database  # noqa: E402
from bench_pipeline import piece, stop_worker  # noqa: E402

DEFAULT_URL = "postgres://root@127.0.0.1:5432/chartbusters_bench_backlog"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
DELIVERIES_KEY = "bench-backlog:deliveries"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--judge-seconds", type=float, default=0.05)
    parser.add_argument("--queue-lease", type=int, default=5, help="seconds")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds in all")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in url.rsplit("/", 1)[1]:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database with 'bench' in it: {url}")
    return url


def setup_django(url: str, broker: str, data_dir: str, lease: int) -> None:
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker,
        DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        DATA_DIR=data_dir,
        DJANGO_SETTINGS_MODULE="chartbusters.settings",
        SUBMISSION_QUEUE_LEASE_SECONDS=str(lease),
        SUBMISSION_REAPER_INTERVAL_SECONDS="1",
        STUDIO_PRELOAD_MODELS="False",
        BENCH_DELIVERIES_KEY=DELIVERIES_KEY,
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def start_worker(log: Path, app: str, queues: str, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=f"{REPO}:{REPO / 'bench'}")
    output = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", f"--queues={queues}",
         "--concurrency=1", "--pool=prefork", "--loglevel=WARNING", "--without-gossip",
         "--without-mingle", f"--hostname={queues}-{os.getpid()}@%h", *extra],
        cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def store_entries(count: int) -> float:
    """Enter ``count`` pieces; seconds it took."""
    from django.utils import timezone

    from chartbusters.accounts.services import user_create
    from chartbusters.challenges.models import Challenge, ChallengeStatus
    from chartbusters.submissions.services import submission_create

    now = timezone.now()
    challenge = Challenge.objects.create(
        title="Backlog Bench", slug="backlog-bench", starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1), status=ChallengeStatus.OPEN,
        daily_quota=count, total_quota=count,
    )  # fmt: skip
    user = user_create(username="bencher", email="b@example.com", password="long-bench-pw-1")  # noqa: S106
    started = time.perf_counter()
    for n in range(count):
        submission_create(
            user=user, challenge=challenge, title=f"Entry {n}", description="",
            technique="upload", midi_bytes=piece(n),
        )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    url = database_url()
    broker = os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER)
    data_dir = os.environ.get("DATA_DIR", "/tmp/chartbusters-bench-backlog")
    with fresh_database(url, args.keep):
        setup_django(url, broker, data_dir, args.queue_lease)
        from chartbusters.celery import app
        from chartbusters.core.queues import queue_depth
        from chartbusters.submissions.models import Submission

        app.control.purge()
        redis_client = app.connection_for_write().default_channel.client
        redis_client.delete(DELIVERIES_KEY, "evaluation", "celery")
        storing = store_entries(args.entries)
        # Scoring only: the listening copies' renders would sit on the default queue in
        # front of the reaper for the whole run, so they are dropped (and marked failed,
        # so that the audio reaper does not queue them again).
        redis_client.delete("celery")
        Submission.objects.update(audio_state="failed")
        logs = Path(data_dir)
        os.environ["BENCH_JUDGE_SECONDS"] = str(args.judge_seconds)
        scorer = start_worker(logs / "scorer.log", "backlog_worker_app", "evaluation")
        reaper = start_worker(
            logs / "reaper.log", "chartbusters", "celery", "--beat",
            f"--schedule={logs / 'beat-schedule'}",
        )  # fmt: skip
        started, samples, excess = time.perf_counter(), 0, 0
        try:
            deadline = started + args.timeout
            while Submission.objects.filter(state__in=["queued", "evaluating"]).exists():
                if time.perf_counter() > deadline:
                    sys.exit("Timed out before the backlog drained.")
                waiting = Submission.objects.filter(state="queued").count()
                excess = max(excess, (queue_depth("evaluation") or 0) - waiting)
                samples += 1
                time.sleep(0.5)
            drained = time.perf_counter() - started
        finally:
            stop_worker(scorer)
            stop_worker(reaper)
        rows = list(Submission.objects.values_list("state", "attempts", "created_at", "scored_at"))
        states = Counter(state for state, *_ in rows)
        attempts = Counter(attempt for _, attempt, *_ in rows)
        deliveries = Counter(int(v) for v in redis_client.hvals(DELIVERIES_KEY))
        waits = [(scored - created).total_seconds() for _, _, created, scored in rows if scored]
        old_rule = sum(wait > 3 * args.queue_lease for wait in waits)
        print(
            f"Backlog of {args.entries} entries, one scoring worker (concurrency 1, judge "
            f"{args.judge_seconds * 1000:.0f} ms), queue lease {args.queue_lease} s, reaper "
            f"every 1 s; Redis broker, PostgreSQL; load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} CPUs.\n"
        )
        print(f"stored through submission_create     {storing:8.1f} s")
        print(f"drained by the one worker            {drained:8.1f} s "
              f"({args.entries / drained:.1f} entries/s)")  # fmt: skip
        print(f"longest wait, stored to scored       {max(waits):8.1f} s "
              f"= {max(waits) / args.queue_lease:.0f} queue leases")  # fmt: skip
        print(f"entries by state                     {dict(states)}")
        print(f"entries by attempts                  {dict(attempts)}")
        print(f"scoring deliveries per entry         {dict(deliveries)} "
              f"(entries: number delivered)")  # fmt: skip
        print(f"most messages beyond waiting entries {excess} (over {samples} samples)")
        print(
            f"\nBaseline, same run: {old_rule} of {len(waits)} entries waited longer than "
            f"3 queue leases; the reaper before this change failed every one of them "
            f'("Scoring failed 3 times") and published up to 3 copies of each message.'
        )


if __name__ == "__main__":
    main()
