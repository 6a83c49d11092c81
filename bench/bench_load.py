"""Load: gunicorn on PostgreSQL and Redis over loopback, leaderboard reads and a burst of
submissions, next to a baseline (/healthz) measured in the same run.

Run ``python bench/bench_load.py`` with DATABASE_URL (PostgreSQL), CELERY_BROKER_URL and
CACHE_URL (Redis) set. It creates a fresh database ``<name>_load`` beside DATABASE_URL's,
migrates it, seeds one open challenge with ``--participants`` entries scored by the real
judge, starts gunicorn (``--workers`` processes, production settings, throttles raised so
the load is not refused) and one Celery worker, then drives the site from
``--clients`` threads with keep-alive connections:

1. baseline: ``GET /healthz`` (one database and one broker round trip);
2. leaderboard reads: ``GET /api/challenges/<slug>/leaderboard/`` on random pages and sorts;
3. a burst of submissions: ``--burst`` multipart uploads from many participants at once
   (token auth), then waits until the worker has scored every stored entry.

For each phase: requests, errors, throughput and p50/p95/p99 latency. The burst must end
with no errors, as many rows as 201 answers, and every row scored: exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PYTHON = sys.executable


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, latency: float) -> None:
        with self._lock:
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400 or status == 0)

    def line(self) -> str:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e3

        rate = len(ordered) / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<28} {len(ordered):>6} {self.errors:>6} {rate:>9.1f} "
            f"{statistics.median(ordered) * 1e3:>8.1f} {pct(0.95):>8.1f} {pct(0.99):>8.1f}"
            f"   {dict(sorted(self.statuses.items()))}"
        )


def multipart(fields: dict[str, str], file_name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"'
        "\r\nContent-Type: audio/midi\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def drive(port: int, phase: Phase, requests: list[Request], clients: int) -> None:
    """Send ``requests`` from ``clients`` threads, each on its own keep-alive connection."""
    chunks = [requests[i::clients] for i in range(clients)]

    def run(chunk: list[Request]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for method, path, body, headers in chunk:
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            phase.record(status, time.perf_counter() - start)
        conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, chunks))
    phase.seconds = time.perf_counter() - start


# ----- the database, the seed and the processes ----------------------------------------


def load_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit(
            "Set DATABASE_URL to a PostgreSQL server (and CELERY_BROKER_URL, CACHE_URL)."
        )
    head, _, name = base.rpartition("/")
    url = f"{head}/{name}_load"
    subprocess.run(
        ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "root", f"{name}_load"], check=False
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "root", f"{name}_load"], check=True)
    return url


def server_env(label: str, data_dir: Path) -> dict[str, str]:
    """The environment of a benchmark's server and workers: a fresh ``*_load`` database,
    production settings over plain HTTP, and no throttles (they would measure themselves)."""
    return dict(
        os.environ,
        DATABASE_URL=load_database_url(),
        DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="chartbusters.settings",
        DEBUG="False",
        SECRET_KEY=f"{label}-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        SECURE_SSL_REDIRECT="False",
        SECURE_COOKIES="False",
        SECURE_HSTS_SECONDS="0",
        API_THROTTLE_ANON="100000000/hour",
        API_THROTTLE_USER="100000000/hour",
        API_THROTTLE_SUBMIT="100000000/hour",
        LOG_LEVEL="WARNING",
        OMP_NUM_THREADS="1",
    )


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class Seed:
    slug: str
    tokens: list[str]


def seed(participants: int, burst_people: int) -> Seed:
    """One open challenge; ``participants`` entries scored by the real judge in-process."""
    from chartbusters.accounts.services import api_token_create, user_create
    from chartbusters.submissions.tasks import score_submission
    from tests.chartbusters.builders import enter, make_challenge

    challenge = make_challenge("load-test", daily_quota=50, total_quota=50)
    for i in range(participants):
        user = user_create(username=f"seed{i}", email=f"seed{i}@example.com", password=None)
        score_submission.run(enter(user, challenge, seed=i).pk)
    tokens = []
    for i in range(burst_people):
        user = user_create(username=f"burst{i}", email=f"burst{i}@example.com", password=None)
        tokens.append(api_token_create(user=user, name="load")[1])
    return Seed(challenge.slug, tokens)


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out,
                                start_new_session=True)  # fmt: skip
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=300, help="seeded board rows")
    parser.add_argument("--reads", type=int, default=3000, help="leaderboard requests")
    parser.add_argument("--burst", type=int, default=200, help="submissions in the burst")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = server_env("bench-load", data_dir)
    setup_django(env)
    from tests.chartbusters.builders import piece

    people = max(1, args.burst // 4)  # four entries each, within the daily quota
    started = time.perf_counter()
    world = seed(args.participants, people)
    print(f"seeded {args.participants} scored entries in {time.perf_counter() - started:.1f} s")
    gunicorn = [PYTHON, "-m", "gunicorn", "chartbusters.wsgi:application",
                f"--bind=127.0.0.1:{args.port}", f"--workers={args.workers}",
                f"--threads={args.threads}", "--worker-class=gthread",
                "--keep-alive=30"]  # fmt: skip
    worker = [PYTHON, "-m", "celery", "-A", "chartbusters", "worker", "--concurrency=1",
              "--queues=evaluation,celery", "--loglevel=WARNING", "--without-gossip",
              "--without-mingle", "--hostname=bench-load@%h"]  # fmt: skip
    with (
        process(gunicorn, env, data_dir / "gunicorn.log"),
        process(worker, env, data_dir / "worker.log"),
    ):
        if not wait_for(lambda: healthy(args.port), timeout=60):
            raise SystemExit(f"gunicorn did not start: see {data_dir / 'gunicorn.log'}")
        return run_phases(args, world, piece)


def run_phases(args: argparse.Namespace, world: Seed, piece: Callable[..., bytes]) -> int:
    from chartbusters.submissions.models import Submission
    from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState

    rng = random.Random(0)
    board = f"/api/challenges/{world.slug}/leaderboard/"
    pages = max(1, args.participants // 50)
    sorts = ["rank", "-score", "realism", "typicality", "frechet"]
    reads: list[Request] = [
        ("GET", f"{board}?page={rng.randint(1, pages)}&sort={rng.choice(sorts)}", None, {})
        for _ in range(args.reads)
    ]
    health: list[Request] = [("GET", "/healthz", None, {})] * args.reads
    burst: list[Request] = []
    for i in range(args.burst):
        token = world.tokens[i % len(world.tokens)]
        body, content_type = multipart(
            {"title": f"Burst {i}", "technique": "upload"}, f"burst-{i}.mid", piece(10_000 + i)
        )
        headers = {"Authorization": f"Token {token}", "Content-Type": content_type}
        burst.append(("POST", f"/api/challenges/{world.slug}/submissions/", body, headers))
    before = Submission.objects.count()
    phases = [Phase("baseline GET /healthz"), Phase("GET leaderboard page"),
              Phase("POST submission (burst)")]  # fmt: skip
    for phase, requests in zip(phases, [health, reads, burst], strict=True):
        drive(args.port, phase, requests, args.clients)
    stored = Submission.objects.count() - before
    started = time.perf_counter()
    pending = Submission.objects.exclude(state__in=TERMINAL_STATES)
    all_scored = wait_for(lambda: not pending.exists(), timeout=900)
    drained = time.perf_counter() - started
    scored = Submission.objects.filter(state=SubmissionState.SCORED).count() - args.participants
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; gunicorn "
          f"{args.workers} x {args.threads} threads; {args.clients} connections")  # fmt: skip
    print(f"\n{'phase':<28} {'reqs':>6} {'errors':>6} {'req/s':>9} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8}   statuses")  # fmt: skip
    for phase in phases:
        print(phase.line())
    accepted = phases[2].statuses.get(201, 0)
    print(f"\nburst: {accepted} accepted (201), {stored} rows stored, {scored} scored by one "
          f"worker {drained:.1f} s after the burst ended; all settled: {all_scored}")  # fmt: skip
    failed = any(p.errors for p in phases) or stored != accepted or scored != accepted
    print("RESULT:", "FAIL" if failed else "ok (no errors, no lost submissions)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
