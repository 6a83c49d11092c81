"""Slow clients: how long a normal request waits while clients trickle their headers, with
and without nginx in front of gunicorn, measured in the same run.

Run ``python bench/bench_slow_clients.py`` (DEBUG=True or a SECRET_KEY in the environment,
nginx installed). It starts gunicorn as docker-compose.yml does (sync workers, 3) on a
loopback port and nginx with deploy/nginx/default.conf.template rendered for loopback, then
for each of ``--clients`` counts opens that many connections that send one header line every
half second and never finish, and times ``--requests`` normal requests (GET /accounts/login/)
straight to gunicorn (the baseline: the stack before the proxy) and through nginx. A request
not answered within ``--timeout`` seconds is reported as stalled.

Target (issue 14): with 6 slow clients, normal requests through the proxy are served
within 1 s.

Last run (2 shared cores, load average 2.5): 0 slow clients: direct p50 11 ms, proxy p50
11 ms; 6 slow clients: direct 5 of 5 stalled (> 5 s), proxy p50 6 ms, max 10 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.chartbusters.hardening import front  # noqa: E402


def measure(port: int, clients: int, requests: int, timeout: float) -> str:
    if clients:
        slow = front.SlowClients(port, count=clients, limit_s=requests * timeout + 30)
        slow.__enter__()
    try:
        times = [front.served_in(port, timeout) for _ in range(requests)]
    finally:
        if clients:
            slow.__exit__(None, None, None)
    served = sorted(t * 1000 for t in times if t is not None)
    stalled = len(times) - len(served)
    if not served:
        return f"{stalled} of {requests} stalled (> {timeout:g} s)"
    text = f"p50 {statistics.median(served):.0f} ms, max {served[-1]:.0f} ms"
    return text + (f", {stalled} of {requests} stalled (> {timeout:g} s)" if stalled else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[0, 6])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    args = parser.parse_args()
    if front.nginx_binary() is None:
        print("nginx is not installed (apt-get install nginx)")
        return 1
    print(f"load average {os.getloadavg()[0]:.1f}; gunicorn: {front.GUNICORN_WORKERS} sync workers")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with front.gunicorn(workdir) as upstream, front.nginx(workdir, upstream) as proxy:
            front.warm_up(upstream)
            for clients in args.clients:
                direct = measure(upstream, clients, args.requests, args.timeout)
                # The direct phase leaves workers stuck until the slow clients hang up; the
                # proxy phase starts after they have, so it does not inherit that stall.
                front.warm_up(proxy, rounds=1)
                proxied = measure(proxy, clients, args.requests, args.timeout)
                print(
                    f"{clients} slow clients: direct (baseline) {direct}; through nginx {proxied}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
