"""The leaderboard's HTML page under load, with the page cache off and on, next to a
/healthz baseline measured by the same server in the same run.

Run ``python bench/bench_board_cache.py`` with DATABASE_URL (PostgreSQL), CACHE_URL and
CELERY_BROKER_URL (Redis) set. Like ``bench_load.py`` (whose harness it uses) it makes a
fresh database ``<name>_load``, seeds one open challenge with ``--participants`` entries
scored by the real judge, marks their listening copies rendered (so every row has its
player, as on a live board; the page only links to them), and starts gunicorn
(``--workers`` x ``--threads``, production settings) twice:

1. ``PAGE_CACHE_SECONDS=0``: nothing is stored, every read renders the page (the code
   before caching, plus computing a key);
2. ``PAGE_CACHE_SECONDS=3600``: reads are served from Redis until the board changes.

Against each, from ``--clients`` keep-alive connections: ``GET /healthz`` (the baseline),
the board page for anonymous readers (random sorts, first pages), the same for signed-in
readers (one session each: their own cached page), and, with the cache on, revalidations
(``If-None-Match``: 304s) and the board API. Prints requests, errors, req/s and p50/p95/p99.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import (
    PYTHON,
    Phase,
    Request,
    drive,
    healthy,
    process,
    seed,
    server_env,
    setup_django,
    wait_for,
)

TARGET_RATE, TARGET_P95_MS = 200.0, 100.0
CSRF_CHARS = string.ascii_letters + string.digits


def mark_audio_rendered(slug: str) -> None:
    """Every entry has a listening copy (one real rendering, shared: the page only links)."""
    from chartbusters.submissions.models import AudioState, Submission

    entries = Submission.objects.filter(challenge__slug=slug)
    entries.update(audio="submissions/bench/audio.ogg", audio_state=AudioState.READY)


def sessions(count: int) -> list[str]:
    """Cookie headers of ``count`` signed-in readers (a session and a CSRF secret each)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from chartbusters.accounts.services import user_create

    cookies = []
    for i in range(count):
        user = user_create(username=f"reader{i}", email=f"reader{i}@example.com", password=None)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
        cookies.append(f"sessionid={store.session_key}; csrftoken={csrf}")
    return cookies


def board_reads(slug: str, count: int, pages: int, cookies: list[str] | None) -> list[Request]:
    rng = random.Random(1)
    sorts = ["rank", "-score", "realism", "typicality", "frechet"]
    reads: list[Request] = []
    for i in range(count):
        path = (
            f"/challenges/{slug}/leaderboard/?sort={rng.choice(sorts)}&page={rng.randint(1, pages)}"
        )
        headers = {"Cookie": cookies[i % len(cookies)]} if cookies else {}
        reads.append(("GET", path, None, headers))
    return reads


def etags_of(port: int, reads: list[Request]) -> list[Request]:
    """The same reads, each sending the ETag its page had a moment ago."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    known: dict[str, str] = {}
    revalidations: list[Request] = []
    for method, path, body, headers in reads:
        if path not in known:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            response.read()
            known[path] = response.getheader("ETag", "")
        revalidations.append((method, path, body, {**headers, "If-None-Match": known[path]}))
    conn.close()
    return revalidations


def run_server(args: argparse.Namespace, env: dict[str, str], cache_seconds: int,
               slug: str, cookies: list[str], log: Path) -> list[Phase]:  # fmt: skip
    label = "on" if cache_seconds else "off"
    gunicorn = [PYTHON, "-m", "gunicorn", "chartbusters.wsgi:application",
                f"--bind=127.0.0.1:{args.port}", f"--workers={args.workers}",
                f"--threads={args.threads}", "--worker-class=gthread",
                "--keep-alive=30"]  # fmt: skip
    pages = max(1, min(args.pages, args.participants // 50))
    anonymous = board_reads(slug, args.reads, pages, None)
    signed_in = board_reads(slug, args.reads, pages, cookies)
    api: list[Request] = [
        ("GET", f"/api/challenges/{slug}/leaderboard/?page={1 + i % pages}", None, {})
        for i in range(args.reads)
    ]
    health: list[Request] = [("GET", "/healthz", None, {})] * args.reads
    served_env = dict(env, PAGE_CACHE_SECONDS=str(cache_seconds))
    with process(gunicorn, served_env, log):
        if not wait_for(lambda: healthy(args.port), timeout=60):
            raise SystemExit(f"gunicorn did not start: see {log}")
        plan = [
            (Phase(f"{label}: GET /healthz"), health),
            (Phase(f"{label}: board, anonymous"), anonymous),
            (Phase(f"{label}: board, signed in"), signed_in),
        ]
        if cache_seconds:
            plan += [
                (Phase(f"{label}: board, 304s"), etags_of(args.port, anonymous)),
                (Phase(f"{label}: board API"), api),
            ]
        for phase, requests in plan:
            drive(args.port, Phase("warm-up"), requests[: args.clients * 4], args.clients)
            drive(args.port, phase, requests, args.clients)
    return [phase for phase, _ in plan]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=150, help="board rows")
    parser.add_argument("--pages", type=int, default=3, help="board pages read (50 rows each)")
    parser.add_argument("--reads", type=int, default=2000, help="requests per phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-board-cache-"))
    env = server_env("bench-board-cache", data_dir)
    if not env.get("CACHE_URL", "").startswith("redis://"):
        raise SystemExit("Set CACHE_URL to a Redis database: the cache is what is measured.")
    setup_django(env)
    from django.core.cache import cache
    from django.core.management import call_command

    started = time.perf_counter()
    world = seed(args.participants, 0)
    mark_audio_rendered(world.slug)
    cookies = sessions(args.clients)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    print(f"seeded {args.participants} scored entries in {time.perf_counter() - started:.1f} s")
    phases = []
    for seconds in (0, 3600):
        phases += run_server(args, env, seconds, world.slug, cookies, data_dir / f"g{seconds}.log")
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; gunicorn "
          f"{args.workers} x {args.threads} threads; {args.clients} connections; "
          f"{args.participants} rows, pages 1-{max(1, min(args.pages, args.participants // 50))}"
          " of 50 rows")  # fmt: skip
    print("\ncache off: every read renders the page; on: served from Redis until it changes")
    print(f"\n{'phase':<28} {'reqs':>6} {'errors':>6} {'req/s':>9} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8}   statuses")  # fmt: skip
    for phase in phases:
        print(phase.line())
    cached = next(p for p in phases if p.name == "on: board, anonymous")
    ordered = sorted(cached.latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1e3
    rate = len(ordered) / cached.seconds
    met = rate >= TARGET_RATE and p95 < TARGET_P95_MS
    print(f"\ntarget for the cached anonymous board page: >= {TARGET_RATE:.0f} req/s and p95 < "
          f"{TARGET_P95_MS:.0f} ms: {'met' if met else 'MISSED'} ({rate:.0f} req/s, p95 "
          f"{p95:.0f} ms)")  # fmt: skip
    failed = any(p.errors for p in phases)
    print("RESULT:", "FAIL (errors)" if failed else "ok (no errors)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
