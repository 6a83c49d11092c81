"""Benchmark the leaderboard API on PostgreSQL: the maintained board against a naive
ranking computed on every request, in the same run.

Run ``python bench/bench_leaderboard.py`` with PostgreSQL listening. It creates its own
database (``DATABASE_URL``, default ``postgres://root@127.0.0.1:5432/chartbusters_bench``;
the name must contain "bench", so the test and demo databases can never be dropped),
migrates it, loads one challenge with 100,000 scored entries from 10,000 participants
through the real models (``bulk_create``; reports of realistic size) and builds the
maintained board with ``leaderboard_rebuild``, the service that recomputes it. Then, for
the first page, a middle page and pages sorted by a component, it requests
``/api/challenges/<slug>/leaderboard/`` (50 rows) through Django's test client, in
process, and prints the p50/p95 server time and the number of queries, next to the naive
query (best entry per participant by a window function over the submissions, ranked and
paginated in SQL) timed on the same database. The database is dropped at the end
(``--keep`` keeps it).

Target: p95 under 25 ms for every page, and the same number of queries for every page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_URL = "postgres://root@127.0.0.1:5432/chartbusters_bench"
TARGET_P95_MS = 25.0
PAGE_SIZE = 50

NAIVE_SQL = """
WITH eligible AS (
    SELECT s.id, s.participant_id, s.uuid, s.title, s.technique, s.score, s.components,
           s.created_at,
           ROW_NUMBER() OVER (PARTITION BY s.participant_id
                              ORDER BY s.score DESC NULLS LAST, s.created_at, s.id) AS place,
           COUNT(*) OVER (PARTITION BY s.participant_id) AS entries
    FROM submissions_submission s
    WHERE s.challenge_id = %(challenge)s AND s.state = 'scored' AND s.ranked
          AND s.disqualified_at IS NULL
), ranked AS (
    SELECT e.*, ROW_NUMBER() OVER (ORDER BY e.score DESC NULLS LAST, e.created_at, e.id) AS rank
    FROM eligible e WHERE e.place = 1
)
SELECT r.rank, COALESCE(NULLIF(u.display_name, ''), u.username), r.uuid, r.title, r.technique,
       r.score, (r.components->>'realism')::float, (r.components->>'typicality')::float,
       (r.components->>'frechet')::float, r.created_at, r.entries
FROM ranked r JOIN accounts_user u ON u.id = r.participant_id
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""
NAIVE_COUNT_SQL = """
SELECT COUNT(DISTINCT participant_id) FROM submissions_submission
WHERE challenge_id = %(challenge)s AND state = 'scored' AND ranked AND disqualified_at IS NULL
"""
NAIVE_ORDERS = {
    "rank": "r.rank",
    "-realism": "(r.components->>'realism')::float ASC NULLS LAST, r.rank",
    "realism": "(r.components->>'realism')::float DESC NULLS LAST, r.rank",
    "frechet": "(r.components->>'frechet')::float DESC NULLS LAST, r.rank",
}


@dataclass(frozen=True)
class Case:
    label: str
    sort: str
    page: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--naive-requests", type=int, default=20, help="timed naive queries")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep (no load)"
    )
    return parser.parse_args()


# ----- the database ---------------------------------------------------------------------


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database with 'bench' in it: {url}")
    return url


@contextmanager
def fresh_database(url: str, keep: bool, reuse: bool = False) -> Any:
    """Create the database (dropping an older one of the same name; ``reuse``: take it
    as it is); drop it afterwards unless ``keep``."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    if not reuse:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # Production settings: DEBUG off (no query log), a key, plain HTTP for the test client.
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["SECURE_SSL_REDIRECT"] = "False"
    os.environ["DATA_DIR"] = os.environ.get("DATA_DIR", "/tmp/chartbusters-bench")
    # The bench asks for many pages; throttling would answer 429.
    os.environ["API_THROTTLE_ANON"] = "1000000/min"
    os.environ["API_THROTTLE_USER"] = "1000000/min"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    # The database path is what is measured: nothing is served from the page cache (a
    # cached page is measured apart, by ``measure_cached``).
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartbusters.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# ----- the data ---------------------------------------------------------------------------


def load(participants: int, entries: int) -> tuple[Any, dict[str, float]]:
    """One open challenge; ``entries`` scored entries spread over ``participants``.
    Returns the challenge and the seconds each step took."""
    from django.utils import timezone

    from chartbusters.accounts.models import User
    from chartbusters.challenges.models import Challenge, ChallengeStatus
    from chartbusters.leaderboards.services import leaderboard_rebuild
    from chartbusters.submissions.models import Submission

    started = time.perf_counter()
    now = timezone.now()
    challenge = Challenge.objects.create(
        title="Bench to the Future",
        slug="bench-to-the-future",
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(days=30),
        status=ChallengeStatus.OPEN,
        total_quota=1000,
        daily_quota=1000,
    )
    users = User.objects.bulk_create(
        [
            User(username=f"bench-{i:06d}", email=f"bench-{i}@example.com", password="!")  # noqa: S106 (unusable)
            for i in range(participants)
        ],
        batch_size=5000,
    )
    rng = random.Random(0)
    fingerprint = bytes(rng.getrandbits(8) for _ in range(2231))  # a real 8-bar piece's
    entries_iter = (
        scored_entry(challenge, users[i % participants], i, rng, fingerprint, now)
        for i in range(entries)
    )
    steps = {"participants": time.perf_counter() - started}
    copy_into(Submission, entries_iter)
    analyze()
    steps["entries"] = time.perf_counter() - started - sum(steps.values())
    rows = leaderboard_rebuild(challenge_id=challenge.pk)
    assert rows == participants, (rows, participants)
    analyze()
    steps["board"] = time.perf_counter() - started - sum(steps.values())
    return challenge, steps


def reused() -> tuple[Any, tuple[int, int]]:
    """The challenge a kept database holds, and its (participants, entries)."""
    from chartbusters.challenges.models import Challenge
    from chartbusters.leaderboards.models import LeaderboardEntry
    from chartbusters.submissions.models import Submission

    challenge = Challenge.objects.get(slug="bench-to-the-future")
    participants = LeaderboardEntry.objects.filter(challenge=challenge).count()
    return challenge, (participants, Submission.objects.filter(challenge=challenge).count())


def analyze() -> None:
    """VACUUM ANALYZE: statistics, and the visibility map that lets a page's ids come from
    an index-only scan, as on a live database where autovacuum keeps both current (a table
    fresh from a bulk load has neither)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def scored_entry(
    challenge: Any, user: Any, i: int, rng: random.Random, fingerprint: bytes, now: Any
) -> Any:
    """Entry ``i``, scored, with a report of realistic size. Entries are spread over the
    challenge's month, with some equal instants so that the tie-break is exercised."""
    from chartbusters.submissions.models import Submission
    from chartbusters.submissions.states import SubmissionState

    realism, typicality, frechet = (round(rng.random(), 4) for _ in range(3))
    score = round(100 * (0.5 * realism + 0.3 * typicality + 0.2 * frechet), 2)
    created = now - timedelta(minutes=i % 40_000)
    return Submission(
        challenge=challenge,
        participant=user,
        title=f"Entry {i}",
        technique="upload",
        midi=f"submissions/{challenge.pk}/bench-{i}.mid",
        midi_size=975,
        fingerprint=fingerprint,
        state=SubmissionState.SCORED,
        attempts=1,
        score=score,
        components={"realism": realism, "typicality": typicality, "frechet": frechet},
        weights={"realism": 0.5, "typicality": 0.3, "frechet": 0.2},
        flags=[],
        explanation=f"Realism {realism:.2f}, typicality {typicality:.2f}.",
        evaluator_version="1+bench.0000000000",
        profile="bach-chorales",
        details={
            "window_p_real": [round(rng.random(), 3) for _ in range(16)],
            "frechet_distance": round(rng.random() * 40, 4),
            "typicality_outliers": {"pitch_range": 2.1, "empty_beat_rate": -1.7},
            "novelty": {"max_overlap": 0.04, "copy_of": None},
            "bars": 8,
        },
        ranked=True,
        scored_at=now,
        created_at=created,
        updated_at=now,
    )


def copy_into(model: Any, objects: Iterable[Any]) -> None:
    """INSERT model instances with PostgreSQL's COPY: each value is prepared by its model
    field, as ``save()`` would (``bulk_create`` is several times slower at 100,000 rows).
    Fields are taken as set, so auto_now_add values can be given."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                )


# ----- measuring --------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(function: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each call (CPU: this process only, so the time the
    database spends is in the wall time alone)."""
    function()  # warm-up: connection, plans, caches
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def measure_api(challenge: Any, case: Case, repeat: int) -> tuple[float, float, float, int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    url = f"/api/challenges/{challenge.slug}/leaderboard/"
    params: dict[str, str | int] = {"sort": case.sort, "page": case.page}

    def get() -> Any:
        response = client.get(url, params)
        assert response.status_code == 200, response.content[:300]
        return response

    with CaptureQueriesContext(connection) as queries:  # turns the query log on briefly
        body = get().json()
    count = len(queries)  # now: it reads the connection's log, which later requests reset
    assert len(body["results"]) == PAGE_SIZE, len(body["results"])
    wall, cpu = timed(get, repeat)
    p50, p95 = percentiles(wall)
    return p50, p95, percentiles(cpu)[0], count, body["results"][0]["rank"]


def measure_cached(challenge: Any, repeat: int) -> tuple[float, float, int]:
    """The first page again with the page cache on (``CACHE_URL``, or the in-process
    cache): p50, p95 and queries of a cached read."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    url = f"/api/challenges/{challenge.slug}/leaderboard/"
    with override_settings(PAGE_CACHE_SECONDS=3600):
        client.get(url)

        def get() -> None:
            response = client.get(url)
            assert response["X-Page-Cache"] == "hit", response.status_code

        with CaptureQueriesContext(connection) as queries:
            get()
        count = len(queries)
        p50, p95 = percentiles(timed(get, repeat)[0])
    return p50, p95, count


def measure_naive(challenge: Any, case: Case, repeat: int) -> tuple[float, float, int]:
    from django.db import connection

    order = NAIVE_ORDERS[case.sort]
    sql = NAIVE_SQL.format(order=order)
    params = {"challenge": challenge.pk, "limit": PAGE_SIZE, "offset": (case.page - 1) * PAGE_SIZE}
    first: list[Any] = []

    def query() -> None:
        with connection.cursor() as cursor:
            cursor.execute(NAIVE_COUNT_SQL, params)
            cursor.fetchone()
            cursor.execute(sql, params)
            first[:] = cursor.fetchall()[:1]

    p50, p95 = percentiles(timed(query, repeat)[0])
    return p50, p95, int(first[0][0])


def main() -> None:
    args = parse_args()
    url = bench_database_url()
    with fresh_database(url, args.keep, args.reuse):
        setup_django(url)
        if args.reuse:
            challenge, loaded = reused()
            args.participants, args.entries = loaded
            print(f"Reusing {args.entries:,} scored entries from {args.participants:,} "
                  f"participants in {urlsplit(url).path.lstrip('/')}. Load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")  # fmt: skip
        else:
            challenge, steps = load(args.participants, args.entries)
            print(
                f"Loaded {args.entries:,} scored entries from {args.participants:,} participants "
                f"into PostgreSQL ({urlsplit(url).path.lstrip('/')}) in "
                f"{sum(steps.values()):.1f} s: "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
                + f". Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."
            )
        pages = max(1, args.participants // PAGE_SIZE)
        cases = [
            Case("first page", "rank", 1),
            Case("middle page", "rank", max(1, pages // 2)),
            Case("sorted by realism", "realism", 1),
            Case("by realism, middle", "realism", max(1, pages // 2)),
            Case("by -realism, middle", "-realism", max(1, pages // 2)),
            Case("sorted by frechet", "frechet", 1),
        ]
        print(
            f"\nLeaderboard page of {PAGE_SIZE} rows: {args.requests} requests per case "
            f"(maintained board, Django test client) and {args.naive_requests} naive queries.\n"
        )
        header = (
            f"{'case':<22}{'page':>6}  {'API p50':>9}{'API p95':>9}{'CPU p50':>9}{'queries':>9}"
            f"  {'naive p50':>10}{'naive p95':>10}  {'speed-up':>8}  same rows"
        )
        print(header)
        print("-" * len(header))
        worst, query_counts = 0.0, set()
        for case in cases:
            p50, p95, cpu, count, top = measure_api(challenge, case, args.requests)
            n50, n95, naive_top = measure_naive(challenge, case, args.naive_requests)
            worst = max(worst, p95)
            query_counts.add(count)
            print(
                f"{case.label:<22}{case.page:>6}  {p50:>7.1f}ms{p95:>7.1f}ms{cpu:>7.1f}ms{count:>9}"
                f"  {n50:>8.1f}ms{n95:>8.1f}ms  {n50 / p50:>7.0f}x  "
                f"{'yes' if top == naive_top else f'NO ({top} vs {naive_top})'}"
            )
        c50, c95, cached_queries = measure_cached(challenge, args.requests)
        print(
            f"{'first page, cached':<22}{1:>6}  {c50:>7.1f}ms{c95:>7.1f}ms{'':>9}"
            f"{cached_queries:>9}  (served from the page cache until the board changes)"
        )
        print(
            f"\nTarget p95 < {TARGET_P95_MS:.0f} ms: {'met' if worst < TARGET_P95_MS else 'MISSED'}"
            f" (worst p95 {worst:.1f} ms). Queries per page: "
            f"{'constant' if len(query_counts) == 1 else 'NOT constant'} ({sorted(query_counts)})."
            f" Load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times"
            " grow with it; CPU is this process's own time per request."
        )


if __name__ == "__main__":
    main()
