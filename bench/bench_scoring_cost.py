"""Where the CPU of one scored entry goes: the judge, the task around it, PostgreSQL, the broker.

Run ``python bench/bench_scoring_cost.py`` with PostgreSQL and the broker listening
(``--broker``, default Redis db 11). It creates its own database (``<DATABASE_URL's
name>_bench_cost``) and ``--participants`` people, and measures in CPU seconds, not wall
time, so that a machine shared with other jobs still gives the same figures:

1. In process: ``--entries`` entries scored by the task function itself, one after
   another. Per entry: the statements Django sends (``CaptureQueriesContext``: BEGIN,
   COMMIT and savepoints included; a server-side cursor's FETCHes are not in it), the
   CPU of the judge call, the CPU of the rest of the task, and the CPU of this
   process's PostgreSQL backend (which serves nothing else).
2. A real worker (``celery worker --queues=evaluation --concurrency=1``, warmed by one
   entry, then stopped with SIGSTOP while a backlog of ``--entries`` entries is stored,
   then let go): CPU seconds per scored entry of the worker's pool process (the task),
   its main process (Celery: the broker, the pool's pipes), the PostgreSQL backends of
   this database, PostgreSQL's exited backends and background writers (any database:
   shared with other jobs), and the broker's server process. With Redis, also the
   broker's commands per entry (``INFO stats``, the whole server).

Each challenge is new, so the novelty check compares an entry with as many earlier ones
in both parts. Audio renders go to the "audio" queue, which nobody reads here.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_leaderboard import fresh_database  # noqa: E402
from bench_pipeline import Bench, setup_django, stop_worker  # noqa: E402
from bench_scoring_scale import participant_clients, purge_queues, start_worker  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
os.environ["OMP_NUM_THREADS"] = "1"  # as the bench's workers run: one core, no spinning threads


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=60, help="entries per part")
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process part")
    parser.add_argument(
        "--events", action="store_true", help="the worker sends task events (-E), as deployed"
    )
    return parser.parse_args()


def database_url() -> str:
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/chartbusters"))
    name = parts.path.lstrip("/") or "chartbusters"
    return urlunsplit(parts._replace(path=f"/{name}_bench_cost"))


def cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) of a process; with ``children``, those of its waited-for
    exited children instead. 0 when the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    first = 13 if children else 11  # utime, stime: fields 14-15; cutime, cstime: 16-17
    return (int(fields[first]) + int(fields[first + 1])) / TICK


def pids_named(*names: str, parent: int | None = None) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        if (not names or comm in names) and (parent is None or int(rest[1]) == parent):
            found.append(int(stat.parent.name))
    return found


def postmaster() -> int:
    """PostgreSQL's main process: the parent of the backends."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def own_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def database_backends() -> set[int]:
    """Backends connected to this database, other than this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return {int(row[0]) for row in cursor.fetchall()}


def redis_stats(broker: str) -> tuple[float, int]:
    """(CPU seconds, commands processed) of the Redis server."""
    import redis

    client = redis.Redis.from_url(broker)
    cpu_info, stats = client.info("cpu"), client.info("stats")
    return (
        float(cpu_info["used_cpu_user"]) + float(cpu_info["used_cpu_sys"]),
        int(stats["total_commands_processed"]),
    )


def new_challenge(bench: Bench, slug: str) -> None:
    bench.challenge.pk = None
    bench.challenge.slug = slug
    bench.challenge.save()


def backlog(bench: Bench, clients: list[Any], count: int) -> list[int]:
    """Store ``count`` entries from the participants in turn; their ids, oldest first."""
    from chartbusters.submissions.models import Submission

    uuids = []
    for i in range(count):
        bench.client = clients[i % len(clients)]
        uuids.append(bench.submit())
    rows = Submission.objects.filter(uuid__in=uuids).order_by("pk")
    return list(rows.values_list("pk", flat=True))


# ----- part 1: the task in process ------------------------------------------------------


@dataclass
class InProcess:
    entries: int = 0
    queries: list[int] = field(default_factory=list)
    judge_cpu: float = 0.0
    task_cpu: float = 0.0
    backend_cpu: float = 0.0


def in_process(ids: list[int], profile: bool) -> InProcess:
    """Score the entries with the task function, as the pool process runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chartbusters.submissions import tasks

    result = InProcess()
    judge = tasks.judge

    def timed_judge(submission: Any) -> Any:
        started = time.process_time()
        try:
            return judge(submission)
        finally:
            result.judge_cpu += time.process_time() - started

    tasks.judge = timed_judge
    try:
        tasks.score_submission.run(ids[0])  # loads torch, the profile and the critic
        result.judge_cpu = 0.0
        timed, counted = ids[1 : len(ids) // 2 + 1], ids[len(ids) // 2 + 1 :]
        backend = own_backend()
        backend_before, started = cpu(backend), time.process_time()
        profiler = _profiler(profile)
        for pk in timed:
            assert tasks.score_submission.run(pk) == "scored"
        result.task_cpu = time.process_time() - started
        result.backend_cpu = cpu(backend) - backend_before
        result.entries, judge_cpu = len(timed), result.judge_cpu
        if profiler is not None:
            _print_profile(profiler)
        for pk in counted:
            with CaptureQueriesContext(connection) as captured:
                assert tasks.score_submission.run(pk) == "scored"
            result.queries.append(len(captured.captured_queries))
    finally:
        tasks.judge = judge
    result.judge_cpu = judge_cpu
    return result


def _profiler(profile: bool) -> Any:
    if not profile:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _print_profile(profiler: Any) -> None:
    import pstats

    profiler.disable()
    lines = int(os.environ.get("PROFILE_LINES", "45"))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(lines)


# ----- part 2: a real worker ------------------------------------------------------------


@dataclass
class Snapshot:
    worker_main: float
    worker_pool: float
    backends: dict[int, float]
    exited_backends: float
    pg_background: float
    broker: float
    broker_commands: int


def snapshot(worker: int, master: int, backends: set[int], broker: str) -> Snapshot:
    pool = pids_named(parent=worker)
    background = pids_named(parent=master)
    redis_cpu, commands = redis_stats(broker) if broker.startswith("redis") else (0.0, 0)
    if broker.startswith("amqp"):
        redis_cpu = sum(cpu(pid) for pid in pids_named("beam.smp"))
    return Snapshot(
        worker_main=cpu(worker),
        worker_pool=sum(cpu(pid) for pid in pool),
        backends={pid: cpu(pid) for pid in backends},
        exited_backends=cpu(master, children=True),
        pg_background=sum(cpu(pid) for pid in background if pid not in backends) + cpu(master),
        broker=redis_cpu,
        broker_commands=commands,
    )


def with_worker(
    bench: Bench, clients: list[Any], count: int, data_dir: Path, broker: str, events: bool
) -> tuple[Snapshot, Snapshot, float, set[int]]:
    """Score a backlog of ``count`` with one real worker, warmed by one entry first: CPU
    snapshots before and after, wall seconds, the database's backends seen."""
    worker = start_worker(data_dir / "worker.log", "cost", *(["-E"] if events else []))
    try:
        _wait_scored(backlog(bench, clients, 1), bench.timeout)
        # the backlog goes in while the worker is stopped: its messages wait, untaken
        os.killpg(worker.pid, signal.SIGSTOP)
        ids = backlog(bench, clients, count)
        master, backends = postmaster(), database_backends()
        before = snapshot(worker.pid, master, backends, broker)
        started = time.perf_counter()
        os.killpg(worker.pid, signal.SIGCONT)
        seen = _wait_scored(ids, bench.timeout * count, backends)
        after = snapshot(worker.pid, master, seen, broker)
        wall = time.perf_counter() - started
    finally:
        with suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGCONT)
        stop_worker(worker)
    return before, after, wall, seen


def _wait_scored(ids: list[int], timeout: float, backends: set[int] | None = None) -> set[int]:
    """Poll once a second until every entry is scored; the database's backends seen."""
    from chartbusters.submissions.models import Submission

    seen = set(backends or ())
    deadline = time.monotonic() + timeout
    while Submission.objects.filter(pk__in=ids, state="scored").count() < len(ids):
        if time.monotonic() > deadline:
            sys.exit(f"Timed out waiting for {len(ids)} entries to be scored.")
        if backends is not None:
            seen |= database_backends()
        time.sleep(1.0)
    return seen


def per_entry(before: Snapshot, after: Snapshot, count: int, seen: set[int]) -> dict[str, float]:
    backends = sum(after.backends.get(pid, 0.0) - before.backends.get(pid, 0.0) for pid in seen)
    return {
        "worker pool process (the task)": (after.worker_pool - before.worker_pool) / count,
        "worker main process (Celery)": (after.worker_main - before.worker_main) / count,
        "PostgreSQL backends (this db)": backends / count,
        "PostgreSQL exited backends (any db)": (after.exited_backends - before.exited_backends)
        / count,
        "PostgreSQL background (shared)": (after.pg_background - before.pg_background) / count,
        "broker server": (after.broker - before.broker) / count,
    }


def main() -> None:
    args = parse_args()
    url = database_url()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-cost-"))
    print(f"Per scored entry, {args.entries} entries from {args.participants} participants, "
          f"broker {urlsplit(args.broker).scheme}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start.\n", flush=True)  # fmt: skip
    with fresh_database(url, keep=False):
        setup_django(url, args.broker, str(data_dir))
        purge_queues()
        bench = Bench(timeout=120.0)
        clients = participant_clients(bench, args.participants)

        new_challenge(bench, "in-process")
        part1 = in_process(backlog(bench, clients, args.entries + 1), args.profile)
        purge_queues()
        n = part1.entries
        print("In process (the task function, one entry after another):")
        print(f"  statements per entry (Django's log): {sorted(set(part1.queries))}")
        print(f"  judge call          {part1.judge_cpu / n * 1000:7.2f} ms CPU")
        print(f"  rest of the task    {(part1.task_cpu - part1.judge_cpu) / n * 1000:7.2f} ms CPU")
        print(f"  its PostgreSQL      {part1.backend_cpu / n * 1000:7.2f} ms CPU\n", flush=True)

        new_challenge(bench, "worker")
        count = args.entries
        before, after, wall, seen = with_worker(
            bench, clients, count, data_dir, args.broker, args.events
        )
        purge_queues()
        events = ", task events on" if args.events else ""
        print(
            f"One worker{events}, a backlog of {count} entries ({count / wall:.1f} entries/s wall):"
        )
        total = 0.0
        for label, seconds in per_entry(before, after, count, seen).items():
            print(f"  {label:<38}{seconds * 1000:7.2f} ms CPU")
            total += seconds
        print(f"  {'total':<38}{total * 1000:7.2f} ms CPU")
        if args.broker.startswith("redis"):
            commands = (after.broker_commands - before.broker_commands) / count
            print(f"  Redis commands per entry (whole server): {commands:.1f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
