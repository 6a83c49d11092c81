"""Scoring throughput with 1 and 2 scoring worker processes, on Redis and on RabbitMQ.

Run ``python bench/bench_scoring_scale.py`` with PostgreSQL, Redis and RabbitMQ
listening. For each broker (``--brokers``, default Redis db 13 and RabbitMQ's guest
account) it creates its own database (``<DATABASE_URL's name>_bench_scale_<broker>``),
and for 1 and then 2 worker processes:

1. stores ``--entries`` entries through the API (Django's test client, in process) while
   no worker takes any, so a backlog waits on the "evaluation" queue, exactly as a burst
   leaves it. They come from ``--participants`` people in turn (30 by default), as on a
   challenge day: recording a score takes the challenge's board lock and, inside it,
   reads the participant's own ranked entries, so one participant holding every entry
   (``--participants 1``) serialises the workers on that read and measures it, not the
   scaling;
2. starts that many ``celery worker --queues=evaluation --concurrency=1`` processes (the
   shipped judge; audio renders go to the "audio" queue, which nobody reads here:
   scoring never waits for them), warms each on one entry of its own (the first loads
   torch and the profile; a worker busy with it takes no second message), stops them
   (SIGSTOP) while the backlog is stored, then lets them all go at once;
3. waits until every entry is scored (polling once a second: on two cores a bench that
   polls every 10 ms takes the CPU it measures), and reads the throughput off the stored
   ``scored_at`` times of the backlog, first to last. (Until issue 22's work the backlog
   went in before the workers started, and the warm-up was left out by dropping each
   worker's first entry; at 30 entries/s a 60-entry backlog lasts two seconds, so a
   worker that finished warming up a moment after the other could score part of it
   alone, and the speed-up read low.)

Prints entries/s for each run, the speed-up of 2 processes over 1 on each broker, and
checks that every entry was scored exactly once (no entry lost or scored twice).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_leaderboard import fresh_database  # noqa: E402
from bench_pipeline import Bench, setup_django, stop_worker  # noqa: E402

BROKERS = "redis://127.0.0.1:6379/13,amqp://guest:guest@127.0.0.1:5672//"
TARGET_SPEEDUP = 1.8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=60, help="backlog per run")
    parser.add_argument("--brokers", default=BROKERS, help="comma-separated broker URLs")
    parser.add_argument(
        "--participants", type=int, default=30, help="entries come from this many people"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one broker (child process)
    return parser.parse_args()


def database_url(broker: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/chartbusters")
    kind, parts = urlsplit(broker).scheme, urlsplit(base)
    name = parts.path.lstrip("/") or "chartbusters"
    return urlunsplit(parts._replace(path=f"/{name}_bench_scale_{kind}"))


def start_worker(log: Path, name: str, *extra: str) -> subprocess.Popen[bytes]:
    """One scoring worker process (concurrency 1), its own node name, output in ``log``;
    ``extra``: more options (``-E``: task events, as the deployment's workers send)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "chartbusters", "worker",
             "--queues=evaluation", "--concurrency=1", "--pool=prefork", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", f"--hostname={name}@%h", *extra],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def purge_queues() -> None:
    """Drop what waits on our queues (the audio renders nobody reads here, leftovers)."""
    from chartbusters.celery import app
    from chartbusters.core.queues import known_queues

    with app.connection_for_write() as connection:
        for queue in known_queues():
            with suppress(*connection.channel_errors):
                connection.default_channel.queue_purge(queue)


def participant_clients(bench: Bench, count: int) -> list[Any]:
    """API clients of ``count`` participants: the bench's own and ``count - 1`` more."""
    from django.test import Client

    from chartbusters.accounts.services import api_token_create, user_create

    clients = [bench.client]
    for i in range(1, count):
        user = user_create(
            username=f"bencher{i}",
            email=f"bench{i}@example.com",
            password="a-long-bench-password-1",  # noqa: S106
        )
        _, key = api_token_create(user=user, name="bench")
        clients.append(Client(headers={"Authorization": f"Token {key}"}))
    return clients


def submit(bench: Bench, clients: list[Any], count: int) -> list[str]:
    """Store ``count`` entries from the participants' API clients in turn; their ids."""
    ids = []
    for i in range(count):
        bench.client = clients[i % len(clients)]
        ids.append(bench.submit())
    return ids


def wait_ready(names: list[str], timeout: float = 120.0) -> None:
    """Until every worker answers a ping (it consumes from then on)."""
    from chartbusters.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered = {node for reply in app.control.ping(timeout=1.0) for node in reply}
        if all(any(node.startswith(f"{name}@") for node in answered) for name in names):
            return
    sys.exit(f"Workers {names} did not start within {timeout:.0f} s.")


def run(
    bench: Bench, clients: list[Any], processes: int, entries: int, data_dir: Path
) -> tuple[float, int, int]:
    """(entries/s, entries scored, score records) for one run."""
    from chartbusters.submissions.models import Submission

    names = [f"scale{processes}-{i}" for i in range(processes)]
    workers = [start_worker(data_dir / f"worker-{name}.log", name) for name in names]
    try:
        wait_ready(names)
        # One entry per worker first: each loads torch and the profile on it (a worker
        # busy with its first entry takes no second message: prefetch 1).
        bench.wait(submit(bench, clients, processes), time.perf_counter(), poll=1.0)
        for worker in workers:  # the backlog waits, whole, until every worker is let go
            os.killpg(worker.pid, signal.SIGSTOP)
        ids = submit(bench, clients, entries)
        for worker in workers:
            os.killpg(worker.pid, signal.SIGCONT)
        # Rates come from the stored scored_at times: poll slowly, so that the bench
        # itself (and the database answering it) takes no CPU from the workers.
        bench.wait(ids, time.perf_counter(), poll=1.0)
    finally:
        for worker in workers:
            with suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGCONT)
            stop_worker(worker)
    rows = Submission.objects.filter(uuid__in=ids)
    times = sorted(t for t in rows.values_list("scored_at", flat=True) if t is not None)
    attempts = sum(rows.values_list("attempts", flat=True))
    rate = (len(times) - 1) / (times[-1] - times[0]).total_seconds()
    return rate, len(times), attempts


def one_broker(broker: str, entries: int, participants: int) -> None:
    url = database_url(broker)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    with fresh_database(url, keep=False):
        setup_django(url, broker, str(data_dir))
        purge_queues()
        rates = {}
        bench = Bench(timeout=120.0)
        clients = participant_clients(bench, participants)
        for processes in (1, 2):
            # A challenge per run: the novelty check compares an entry with the earlier
            # entries of its challenge, so a shared one would make the later run slower.
            bench.challenge.pk = None
            bench.challenge.slug = f"bench-{processes}-processes"
            bench.challenge.save()
            rate, scored, attempts = run(bench, clients, processes, entries, data_dir)
            rates[processes] = rate
            ok = scored == entries and attempts == entries
            print(f"{urlsplit(broker).scheme:<6} {processes} process(es): {rate:6.2f} entries/s "
                  f"({scored}/{entries} scored, {attempts} attempts: "
                  f"{'each scored once' if ok else 'LOST OR TWICE'})", flush=True)  # fmt: skip
            purge_queues()
        speedup = rates[2] / rates[1]
        print(f"{urlsplit(broker).scheme:<6} speed-up 2 vs 1: {speedup:.2f}x (target "
              f">= {TARGET_SPEEDUP}x: {'met' if speedup >= TARGET_SPEEDUP else 'MISSED'})",
              flush=True)  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.one:
        one_broker(args.one, args.entries, args.participants)
        return
    print(f"Scoring a backlog of {args.entries} entries per run, worker processes of "
          f"concurrency 1 on the 'evaluation' queue, PostgreSQL; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the start.\n", flush=True)  # fmt: skip
    for broker in args.brokers.split(","):
        subprocess.run([sys.executable, __file__, "--one", broker, "--entries",
                        str(args.entries), "--participants", str(args.participants)],
                       check=True, cwd=REPO)  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
