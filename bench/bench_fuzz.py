"""Fuzz the MIDI validator and the upload endpoint with hostile files; mido and
pretty_midi on the same files as the baseline.

Run ``python bench/bench_fuzz.py`` (``--count 10000`` by default). The files are real
sample melodies mutated by ``tests/chartbusters/hardening/midi_mutations.py``: bit
flips, truncations, lying chunk lengths, absurd headers and tempos, running-status abuse,
meta and sysex bombs, delta-time bombs, note floods, RIFF wrappers, stacked one to three
deep, derandomized by ``--seed``. Each file goes through:

* ``music.validate.validate_midi``: every outcome must be a Score or a
  MidiValidationError with a code and a message; anything else is counted as a crash;
* the upload endpoint (``POST /api/challenges/<slug>/submissions/``, Django test client,
  a throw-away test database): every answer must be 201, or a 4xx whose JSON has a
  ``detail`` and a ``code``; a 500 or an exception is a failure;
* ``mido.MidiFile`` and ``pretty_midi.PrettyMIDI`` (the baseline): how many of the same
  files they refuse with an exception, by type, and how long they take.

Prints the outcome tables and per-file times (median, p99, max); exits 1 on a failure.
Uses DATABASE_URL when set (PostgreSQL), else SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.chartbusters.hardening.midi_mutations import hostile_files, sample_files  # noqa: E402

# Outcomes that fail the bench (for ours; the baselines are expected to raise).
FAILURES = ("CRASH", "SERVER ERROR", "EXCEPTION", "refused WITHOUT", "NO MESSAGE")
DEEPCOMPOSER = REPO.parent / "shared" / "testdata" / "deepcomposer"


def timed(outcomes: Counter[str], times: list[float], run: Callable[[], str]) -> None:
    start = time.perf_counter()
    outcomes[run()] += 1
    times.append(time.perf_counter() - start)


def validate_outcome(data: bytes) -> str:
    from music.validate import MidiValidationError, validate_midi

    try:
        validate_midi(data)
    except MidiValidationError as exc:
        return f"refused: {exc.code}" if exc.code and exc.message else "refused WITHOUT MESSAGE"
    except Exception as exc:  # the point of the bench: nothing else may escape
        return f"CRASH: {type(exc).__name__}"
    return "accepted"


def mido_outcome(data: bytes) -> str:
    import mido

    try:
        mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:
        return f"exception: {type(exc).__name__}"
    return "parsed"


def pretty_midi_outcome(data: bytes) -> str:
    import pretty_midi

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as exc:
        return f"exception: {type(exc).__name__}"
    return "parsed"


class UploadEndpoint:
    """The real upload endpoint in a throw-away test database."""

    def __init__(self, files: int) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartbusters.settings")
        os.environ.setdefault("DEBUG", "True")
        for scope in ("ANON", "USER", "SUBMIT"):
            os.environ[f"API_THROTTLE_{scope}"] = "10000000/hour"
        import django

        django.setup()
        from django.conf import settings
        from django.test.utils import setup_databases, setup_test_environment

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        logging.getLogger("django.request").setLevel(logging.ERROR)  # 10,000 "Bad Request"s
        setup_test_environment()
        self._old = setup_databases(verbosity=0, interactive=False)
        from rest_framework.test import APIClient

        from chartbusters.accounts.services import user_create
        from chartbusters.submissions.models import Submission
        from tests.chartbusters.builders import make_challenge

        self.challenge = make_challenge(daily_quota=min(files, 32000), total_quota=files)
        self.client = APIClient(raise_request_exception=False)
        user = user_create(username="fuzzer", email="f@example.com", password="x" * 20)
        self.client.force_authenticate(user)
        self.submissions = Submission.objects

    def outcome(self, data: bytes) -> str:
        upload = io.BytesIO(data)
        upload.name = "fuzz.mid"
        try:
            response = self.client.post(
                f"/api/challenges/{self.challenge.slug}/submissions/",
                {"title": "Fuzz", "technique": "upload", "file": upload},
                format="multipart",
            )
        except Exception as exc:
            return f"EXCEPTION: {type(exc).__name__}"
        if response.status_code >= 500:
            return f"SERVER ERROR {response.status_code}"
        if response.status_code == 201:
            return "201 accepted"
        body: dict[str, Any] = response.json()
        if not body.get("detail") or not body.get("code"):
            return f"NO MESSAGE with {response.status_code}"
        return f"{response.status_code} {body['code']}"

    def close(self) -> None:
        from django.test.utils import teardown_databases

        teardown_databases(self._old, verbosity=0)


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"median {statistics.median(ordered) * 1e3:7.2f} ms   p99 {p99 * 1e3:7.2f} ms   "
        f"max {ordered[-1] * 1e3:8.1f} ms"
    )


def table(title: str, outcomes: Counter[str], times: list[float]) -> None:
    total = sum(outcomes.values())
    print(f"\n{title} ({total} files; per file {percentiles(times)})")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome:<42} {count:>7}  {100 * count / total:5.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="hostile files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-upload", action="store_true", help="skip the endpoint")
    parser.add_argument("--no-baseline", action="store_true", help="skip mido/pretty_midi")
    args = parser.parse_args()
    extra = (DEEPCOMPOSER,) if DEEPCOMPOSER.exists() else ()
    seeds = sample_files(extra)
    # Generated afresh for each run (same seed, same files): all of them at once would
    # hold hundreds of megabytes.
    files = partial(hostile_files, args.count, seed=args.seed, samples=seeds)
    sizes = sorted(len(data) for _, data in files())
    print(
        f"{len(sizes)} hostile files from {len(seeds)} real ones (seed {args.seed}); sizes "
        f"median {statistics.median(sizes) / 1024:.1f} KB, max {sizes[-1] / 1024:.0f} KB"
    )
    runs: list[tuple[str, Callable[[bytes], str]]] = [("music.validate", validate_outcome)]
    if not args.no_baseline:
        runs += [("baseline: mido.MidiFile", mido_outcome)]
        runs += [("baseline: pretty_midi.PrettyMIDI", pretty_midi_outcome)]
    endpoint = None
    if not args.no_upload:
        os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-fuzz-"))
        endpoint = UploadEndpoint(args.count)
        runs.insert(1, ("upload endpoint", endpoint.outcome))
    failures = 0
    try:
        for title, run in runs:
            outcomes: Counter[str] = Counter()
            times: list[float] = []
            for _, data in files():
                timed(outcomes, times, partial(run, data))
            table(title, outcomes, times)
            if not title.startswith("baseline"):
                failures += sum(n for o, n in outcomes.items() if o.startswith(FAILURES))
            if title == "upload endpoint" and endpoint is not None:
                stored = endpoint.submissions.count()
                print(f"  rows stored: {stored} (must equal the 201s: {outcomes['201 accepted']})")
                failures += stored != outcomes["201 accepted"]
    finally:
        if endpoint is not None:
            endpoint.close()
    print(f"\nfailures (crashes, 5xx, answers without a message): {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
