"""Benchmark the scoring pipeline end to end: submit through the API, scored by one worker.

Run ``python bench/bench_pipeline.py`` with PostgreSQL and Redis listening. It creates its
own database (``DATABASE_URL``, default
``postgres://root@127.0.0.1:5432/chartbusters_bench_pipeline``; the name must contain
"bench"), uses Redis as the broker (``CELERY_BROKER_URL``, default
``redis://127.0.0.1:6379/13``), starts one real Celery worker (``--concurrency=1``, the
"evaluation" and "celery" queues, as deployed: scoring and the entries' audio rendering;
``--queues evaluation`` for scoring alone) and the shipped evaluation profile, then:

* one entry first, to warm the worker (torch, the profile and the critic load on first use);
* ``--entries`` entries one after another: POST ``/api/challenges/<slug>/submissions/``
  (Django's test client, in process), then poll until the entry is scored; the time from
  the POST to the score being visible is the latency;
* the same number again as a burst (all posted at once), which shows queueing: the n-th
  entry waits for the n-1 before it on the one worker.

Prints p50/p95 of each, and the judge's own share (``scored_at - created_at`` as stored).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_leaderboard import fresh_database, percentiles  # noqa: E402

DEFAULT_URL = "postgres://root@127.0.0.1:5432/chartbusters_bench_pipeline"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
TERMINAL = {"scored", "rejected", "failed"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per entry")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--queues",
        default="evaluation,celery",
        help="the worker's queues: the default serves scoring and audio rendering, as the "
        "deployment's one worker does; 'evaluation' measures scoring alone",
    )
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in url.rsplit("/", 1)[1]:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database with 'bench' in it: {url}")
    return url


def setup_django(url: str, broker: str, data_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker,
        DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        DATA_DIR=data_dir,
        API_THROTTLE_SUBMIT="100000/hour",
        API_THROTTLE_USER="100000/min",
        ALLOWED_HOSTS="testserver,localhost",
        DJANGO_SETTINGS_MODULE="chartbusters.settings",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def piece(seed: int, bars: int = 8) -> bytes:
    """A valid four-part chorale-like piece; different seeds give unrelated pieces (so
    the novelty check flags none of them)."""
    from music.midi_io import score_to_midi
    from music.score import Note, Score, Track

    rng = random.Random(seed)
    tracks = []
    for voice, (low, high) in enumerate([(60, 79), (55, 72), (48, 67), (36, 55)]):
        notes, tick, pitch = [], 0, rng.randint(low, high)
        while tick < bars * 4 * 480:
            length = rng.choice([240, 480, 480, 960])
            pitch = min(high, max(low, pitch + rng.choice([-4, -2, -1, 1, 2, 3, 5])))
            notes.append(Note(tick, pitch, length, 80))
            tick += length
        tracks.append(Track(notes, program=0, name=f"Voice {voice + 1}"))
    return score_to_midi(Score(tracks=tracks, resolution=480))


def start_worker(log: Path, queues: str) -> subprocess.Popen[bytes]:
    """One worker, its output in ``log`` (the banner would bury the figures)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    log.parent.mkdir(parents=True, exist_ok=True)
    output = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "chartbusters", "worker",
         f"--queues={queues}", "--concurrency=1", "--pool=prefork",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         f"--hostname=bench-{os.getpid()}@%h"],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Bench:
    def __init__(self, timeout: float) -> None:
        from django.test import Client
        from django.utils import timezone

        from chartbusters.accounts.services import api_token_create, user_create
        from chartbusters.challenges.models import Challenge, ChallengeStatus

        now = timezone.now()
        self.challenge = Challenge.objects.create(
            title="Bench to the Future",
            slug="bench-to-the-future",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1),
            status=ChallengeStatus.OPEN,
            daily_quota=1000,
            total_quota=1000,
        )
        user = user_create(
            username="bencher",
            email="bench@example.com",
            password="a-long-bench-password-1",  # noqa: S106
        )
        _, key = api_token_create(user=user, name="bench")
        self.client = Client(headers={"Authorization": f"Token {key}"})
        self.timeout = timeout
        self.seed = 0

    def submit(self) -> str:
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.seed += 1
        upload = SimpleUploadedFile("entry.mid", piece(self.seed), content_type="audio/midi")
        response = self.client.post(
            f"/api/challenges/{self.challenge.slug}/submissions/",
            {"title": f"Entry {self.seed}", "technique": "upload", "file": upload},
        )
        assert response.status_code == 201, response.content[:300]
        return str(response.json()["id"])

    def wait(self, entry_ids: list[str], started: float, poll: float = 0.01) -> dict[str, float]:
        """Poll the database every ``poll`` seconds until every entry is terminal;
        seconds from ``started``."""
        from chartbusters.submissions.models import Submission

        done: dict[str, float] = {}
        deadline = time.monotonic() + self.timeout * len(entry_ids)
        while len(done) < len(entry_ids):
            if time.monotonic() > deadline:
                sys.exit(f"Timed out: {len(done)} of {len(entry_ids)} entries finished.")
            states = dict(
                Submission.objects.filter(uuid__in=entry_ids).values_list("uuid", "state")
            )
            for uuid, state in states.items():
                if state in TERMINAL and str(uuid) not in done:
                    done[str(uuid)] = time.perf_counter() - started
                    if state != "scored":
                        reason = Submission.objects.get(uuid=uuid).failure_reason
                        sys.exit(f"Entry {uuid} was {state}: {reason}")
            time.sleep(poll)
        return done

    def one(self) -> float:
        started = time.perf_counter()
        entry = self.submit()
        return self.wait([entry], started)[entry]

    def burst(self, count: int) -> list[float]:
        started = time.perf_counter()
        entries = [self.submit() for _ in range(count)]
        return sorted(self.wait(entries, started).values())

    def judge_seconds(self) -> list[float]:
        from chartbusters.submissions.models import Submission

        rows = Submission.objects.filter(state="scored").order_by("created_at", "id")
        pairs = rows.values_list("created_at", "scored_at")
        return [(scored - created).total_seconds() for created, scored in pairs if scored]


def line(label: str, seconds: list[float]) -> str:
    p50, p95 = percentiles(seconds)
    return f"{label:<38}{len(seconds):>4}  {p50 * 1000:>8.0f} ms{p95 * 1000:>9.0f} ms"


def main() -> None:
    args = parse_args()
    url = database_url()
    broker = os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER)
    data_dir = os.environ.get("DATA_DIR", "/tmp/chartbusters-bench-pipeline")
    with fresh_database(url, args.keep):
        setup_django(url, broker, data_dir)
        from chartbusters.celery import app

        app.control.purge()
        bench = Bench(args.timeout)
        worker = start_worker(Path(data_dir) / "worker.log", args.queues)
        try:
            cold = bench.one()
            sequential = [bench.one() for _ in range(args.entries)]
            judged = bench.judge_seconds()[1:]  # the one-at-a-time entries, not the cold one
            burst = bench.burst(args.entries)
        finally:
            stop_worker(worker)
        print(
            f"Submit-to-scored latency, one worker (concurrency 1, queues {args.queues}), "
            f"Redis broker {broker}, "
            f"PostgreSQL {url.rsplit('/', 1)[1]}; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs.\n"
        )
        print(f"{'':<38}{'n':>4}  {'p50':>11}{'p95':>12}")
        print(f"{'first entry (cold worker)':<38}{1:>4}  {cold * 1000:>8.0f} ms")
        print(line("one at a time: POST to scored", sequential))
        print(line("  stored: created_at to scored_at", judged))
        print(line("burst: POST to scored (queueing)", burst))
        print(
            f"\nBurst throughput: {len(burst) / burst[-1]:.2f} entries/s; "
            f"mean one-at-a-time latency {statistics.mean(sequential) * 1000:.0f} ms."
        )


if __name__ == "__main__":
    main()
