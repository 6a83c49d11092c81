"""Benchmark the studio: time from clicking "Generate" to the result on screen.

Run ``python bench/bench_studio.py`` (needs /usr/bin/chromium). It sets up a throwaway
site in a temporary DATA_DIR (SQLite, the filesystem broker unless CELERY_BROKER_URL says
otherwise), starts the web server and ONE Celery worker (concurrency 1, one torch thread),
signs in with Chromium, picks a sample melody and, for each technique with its default
parameters, clicks Generate: one warm-up run, then ``--runs`` timed ones.

Measured in the page (performance marks set by static/js/studio): from the click to the
result's piano roll drawn ("on screen"), and to its <audio> ready to play. Printed next to
two baselines measured in this same run, in this process, on the same melody and seed:
the bare ``generation.registry.generate`` call and the Ogg render the job also does
(``music.audio.render_audio``), so what queue + poll + render cost is visible.

Target: under 3 s to the result on screen for each technique.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TECHNIQUES = {"arcnn": "AR-CNN (Bach)", "gan": "GAN accompaniment", "transformer": "Transformer"}
USERNAME, PASSWORD = "bench", "a-long-bench-password-42"
PORT = 8799
SEED = 7


def site_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, DEBUG="True", DATA_DIR=str(data_dir), OMP_NUM_THREADS="1")
    env.pop("DATABASE_URL", None)  # a fresh SQLite database in DATA_DIR
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out,
                                   start_new_session=True)  # fmt: skip
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_server(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not start")


def baselines(sample_slug: str, runs: int) -> dict[str, tuple[float, float]]:
    """(median generate s, median render s) per technique, warm, one thread, this process."""
    import torch

    from generation.registry import generate
    from music.audio import render_audio
    from music.catalogue import load_sample

    torch.set_num_threads(1)
    score = load_sample(sample_slug)
    figures = {}
    for name in TECHNIQUES:
        try:
            result = generate(name, score, None, SEED)  # warm-up: loads the checkpoint
        except Exception as error:  # reported next to the browser's figure
            print(f"baseline {name} failed: {error}", file=sys.stderr)
            continue
        generate_times, render_times = [], []
        for _ in range(runs):
            started = time.perf_counter()
            result = generate(name, score, None, SEED)
            generate_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            render_audio(result, "ogg")
            render_times.append(time.perf_counter() - started)
        figures[name] = (statistics.median(generate_times), statistics.median(render_times))
    return figures


class GenerationFailed(Exception):
    pass


def click_to_result(page, technique: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds from the Generate click to the result drawn, and to its audio ready."""
    page.get_by_role("tab", name=TECHNIQUES[technique]).click()
    page.fill("#seed", str(SEED))
    previous = page.locator("#result").get_attribute("data-composition") or ""
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        "previous => { const r = document.querySelector('#result');"
        " if (document.querySelector('#job').dataset.state === 'failed') return true;"
        " return r.dataset.composition && r.dataset.composition !== previous"
        " && performance.getEntriesByName('studio:result-shown').length > 0; }",
        arg=previous, timeout=120_000,
    )  # fmt: skip
    if page.locator("#job").get_attribute("data-state") == "failed":
        raise GenerationFailed(page.locator("#job-label").inner_text())
    page.wait_for_function(
        "() => document.querySelector('[data-res=audio]').readyState >= 2", timeout=120_000
    )
    shown, audio = page.evaluate(
        """() => {
          const start = performance.getEntriesByName('studio:generate')[0].startTime;
          const shown = performance.getEntriesByName('studio:result-shown')[0].startTime;
          return [shown - start, performance.now() - start];
        }"""
    )
    return shown / 1000, audio / 1000


def browser_runs(base: str, runs: int) -> tuple[str, dict[str, list[tuple[float, float]] | str]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/accounts/login/?next=/studio/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url("**/studio/")
        card = page.locator(".sample-card").first
        slug = card.get_attribute("data-slug") or ""
        card.locator("[data-action=use]").click()
        page.locator("#input-current").wait_for()
        timings: dict[str, list[tuple[float, float]] | str] = {}
        for technique in TECHNIQUES:
            try:
                click_to_result(page, technique)  # warm-up: the worker loads this model
                timings[technique] = [click_to_result(page, technique) for _ in range(runs)]
            except GenerationFailed as failure:
                timings[technique] = str(failure).strip()
        browser.close()
    return slug, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per technique")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as folder:
        data_dir = Path(folder)
        env = site_env(data_dir)
        manage(env, "migrate", "--noinput")
        create_user = (
            "from chartbusters.accounts.services import user_create;"
            f"user_create(username={USERNAME!r}, email='b@example.com', password={PASSWORD!r})"
        )
        manage(env, "shell", "-c", create_user)
        server = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"]
        worker = [sys.executable, "-m", "celery", "-A", "chartbusters", "worker",
                  "--queues=generation,celery", "--concurrency=1", "--pool=prefork",
                  "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                  f"--hostname=bench-{os.getpid()}@%h"]  # fmt: skip
        with (
            running(server, env, data_dir / "server.log"),
            running(worker, env, data_dir / "worker.log"),
        ):
            base = f"http://127.0.0.1:{PORT}"
            wait_for_server(f"{base}/healthz")
            slug, timings = browser_runs(base, args.runs)
    base_figures = baselines(slug, args.runs)
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://").split("://")[0]
    print(f"studio: Generate click -> result, one worker, broker {broker}, sample {slug!r}, "
          f"default parameters, median of {args.runs} (load {os.getloadavg()[0]:.2f})")  # fmt: skip
    print(f"{'technique':<12} {'on screen':>10} {'audio ready':>12} {'generate()':>11} "
          f"{'render ogg':>11} {'overhead':>9}  target < 3 s")  # fmt: skip
    for technique, runs in timings.items():
        if isinstance(runs, str) or technique not in base_figures:
            print(f"{technique:<12} failed: {runs if isinstance(runs, str) else 'baseline'}")
            continue
        shown = statistics.median(t[0] for t in runs)
        audio = statistics.median(t[1] for t in runs)
        generate_s, render_s = base_figures[technique]
        overhead = shown - generate_s - render_s
        verdict = "ok" if shown < 3 else "MISSED"
        print(f"{technique:<12} {shown:>9.2f}s {audio:>11.2f}s {generate_s:>10.2f}s "
              f"{render_s:>10.2f}s {overhead:>8.2f}s  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
