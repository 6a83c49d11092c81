"""The production front on loopback: gunicorn as compose runs it, nginx with the repository's
config rendered for loopback ports, and slow clients that trickle their headers.

Used by test_slow_clients.py and bench/bench_slow_clients.py. Everything listens on
127.0.0.1 only, every wait has a deadline, and every process started is stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = REPO / "deploy" / "nginx" / "default.conf.template"
COMPOSE = REPO / "docker-compose.yml"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
GUNICORN_WORKERS = 3  # as docker-compose.yml runs it (a test checks the two agree)
PAGE = "/accounts/login/"  # a page served by Django, without the database


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with ``${NAME}`` replaced, as the official image's envsubst does (it
    substitutes only variables that are set, so nginx's own ``$host`` stays)."""
    missing = set(PLACEHOLDER.findall(template)) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def nginx_main_conf(workdir: Path, site: Path) -> str:
    """The official image's main config, reduced to what a loopback run needs: the
    ``http`` block includes the rendered site config, as the image includes conf.d/."""
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach workdir
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n"
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {deadline_s} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def gunicorn(workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[int]:
    """gunicorn with compose's worker model (sync, 3 workers) on a loopback port."""
    port = free_port()
    log = (workdir / "gunicorn.log").open("wb")
    command = [
        sys.executable, "-m", "gunicorn", "chartbusters.wsgi:application",
        f"--bind=127.0.0.1:{port}", f"--workers={GUNICORN_WORKERS}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=dict(env or os.environ), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, 60)
        yield port
    finally:
        _stop(process)
        log.close()


@contextmanager
def nginx(workdir: Path, upstream_port: int) -> Iterator[int]:
    """nginx running deploy/nginx/default.conf.template, rendered for loopback."""
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    port = free_port()
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / kind).mkdir(exist_ok=True)
    site = workdir / "default.conf"
    values = {
        "NGINX_LISTEN": f"127.0.0.1:{port}",
        "CHARTBUSTERS_UPSTREAM": f"127.0.0.1:{upstream_port}",
    }
    site.write_text(render(TEMPLATE.read_text(), values))
    main = workdir / "nginx.conf"
    main.write_text(nginx_main_conf(workdir, site))
    process = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "nginx.stderr").open("wb"),
    )
    try:
        wait_for_port(port, process, 20)
        yield port
    finally:
        _stop(process)


@dataclass
class SlowClients:
    """``count`` connections that send a request line, then one header line every
    ``interval`` seconds, never finishing their headers, until stopped (or ``limit_s``)."""

    port: int
    count: int = 6
    interval: float = 0.5
    limit_s: float = 60.0
    sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(f"GET {PAGE} HTTP/1.1\r\nHost: localhost\r\n".encode())
            self.sockets.append(sock)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        deadline = time.monotonic() + self.limit_s
        line = 0
        while not self._stop.wait(self.interval) and time.monotonic() < deadline:
            line += 1
            for sock in self.sockets:
                with suppress(OSError):  # the server dropped it (client_header_timeout)
                    sock.sendall(f"X-Slow-{line}: a\r\n".encode())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def served_in(port: int, timeout: float) -> float | None:
    """Seconds a normal ``GET PAGE`` took to answer 200, or None if no full answer came
    within ``timeout`` seconds."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(
                f"GET {PAGE} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
                if time.monotonic() - start > timeout:
                    return None
    except OSError:  # socket.timeout included
        return None
    if not answer.startswith(b"HTTP/1.1 200") and not answer.startswith(b"HTTP/1.0 200"):
        raise AssertionError(f"unexpected answer: {answer[:200]!r}")
    return time.monotonic() - start


def warm_up(port: int, rounds: int = 3) -> None:
    """Requests from several threads at once, so that every worker has served a page (its
    URLconf and templates loaded) before anything is measured."""
    for _ in range(rounds):
        threads = [
            threading.Thread(target=served_in, args=(port, 30)) for _ in range(GUNICORN_WORKERS * 2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
