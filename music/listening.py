"""Listening copies: a bounded audio rendering of any valid piece, made in a child process.

An entry may last ten minutes and a studio result several; nobody needs more than a few
minutes of preview to listen, and every minute costs render time and storage. So a
listening copy holds at most ``LISTENING_COPY_MAX_SECONDS`` of the music, faded out
over the last ``FADE_OUT_SECONDS`` when the piece is longer.

Rendering runs native code (FluidSynth, libsndfile's Vorbis encoder) on untrusted
input, and a crash in native code kills the process it runs in. A Celery worker that
renders in process dies with it and, with late acknowledgement, gets the same message
again and again. Here the rendering runs in ``python -m music.listening``, a child with
limits on memory and CPU time, in its own process group: whatever happens there (a
segfault, a hang, runaway memory) comes back to the caller as an ``AudioError``.

The child reads the piece as MIDI on stdin (our own writer's output, so the round trip
is exact) and writes the encoded audio to stdout; an ``AudioError`` in it exits with
status 2 and its message on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from music.audio import AudioError
from music.midi_io import score_from_midi, score_to_midi
from music.score import Score

LISTENING_COPY_MAX_SECONDS = 180.0
FADE_OUT_SECONDS = 3.0
RENDER_TIMEOUT_SECONDS = 60.0
# Address space for the child and FluidSynth: 180 s of stereo float32 at 22.05 kHz is
# 32 MB; the interpreter, numpy and the SoundFont take a few hundred MB of mappings.
RENDER_MEMORY_BYTES = 2 * 1024**3
USER_ERROR_EXIT = 2
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def clip(score: Score, seconds: float) -> Score:
    """The first ``seconds`` of the music: later notes dropped, notes crossing the cut
    shortened to end there."""
    cut = score.seconds_to_ticks(seconds)
    tracks = []
    for track in score.tracks:
        notes = [
            replace(note, duration=min(note.end, cut) - note.start)
            for note in track.notes
            if note.start < cut
        ]
        tracks.append(replace(track, notes=notes))
    return replace(score, tracks=tracks)


def render_listening_copy(
    score: Score,
    format: str = "ogg",
    *,
    use_fluidsynth: bool | None = None,
    max_seconds: float = LISTENING_COPY_MAX_SECONDS,
    timeout: float = RENDER_TIMEOUT_SECONDS,
    command: Sequence[str] | None = None,
) -> bytes:
    """The piece's listening copy as encoded audio bytes, rendered in a child process.

    ``command`` replaces the child's command line (tests run a child that crashes or
    hangs); by default it is this module run by the current interpreter."""
    cut = score.duration_seconds > max_seconds
    if cut:
        score = clip(score, max_seconds)
    argv = list(command) if command is not None else _child_command(format, use_fluidsynth)
    if cut and command is None:
        argv += ["--cut-at", str(max_seconds)]
    return _run_child(argv, score_to_midi(score), timeout)


def _child_command(format: str, use_fluidsynth: bool | None) -> list[str]:
    synth = {None: "auto", True: "yes", False: "no"}[use_fluidsynth]
    return [sys.executable, "-m", "music.listening", "--format", format, "--fluidsynth", synth]


def _run_child(argv: list[str], midi: bytes, timeout: float) -> bytes:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=_PACKAGE_ROOT,
        env=env,
        start_new_session=True,  # its own group: FluidSynth goes down with it on timeout
    ) as child:
        try:
            out, err = child.communicate(midi, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            raise AudioError(f"rendering the audio took too long (over {timeout:g} s)") from None
    return _result(child.returncode, out, err)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)


def _result(returncode: int, out: bytes, err: bytes) -> bytes:
    message = err.decode(errors="replace").strip()
    if returncode == 0 and out:
        return out
    if returncode == USER_ERROR_EXIT and message:
        raise AudioError(message.splitlines()[-1])
    if returncode < 0:
        name = signal.Signals(-returncode).name
        raise AudioError(f"the audio renderer crashed ({name})")
    raise AudioError(f"the audio renderer failed (exit {returncode}): {message[-300:]}")


# ----- the child ------------------------------------------------------------------------


def _limit_resources(cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY_BYTES, RENDER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from a crash


def _fade_out(samples: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    frames = min(len(samples), int(seconds * sample_rate))
    if frames:
        samples[-frames:] *= np.linspace(1.0, 0.0, frames, dtype=np.float32)[:, None]
    return samples


def _child_main(args: argparse.Namespace) -> bytes:
    from music import audio

    if args.format not in audio.FORMATS:
        known = sorted(audio.FORMATS)
        raise AudioError(f"unsupported audio format {args.format!r}; use one of {known}")
    score = score_from_midi(sys.stdin.buffer.read())
    use = {"auto": None, "yes": True, "no": False}[args.fluidsynth]
    samples = audio.render_samples(score, sample_rate=audio.SAMPLE_RATE, use_fluidsynth=use)
    if args.cut_at is not None:
        samples = samples[: int(args.cut_at * audio.SAMPLE_RATE)]
        samples = _fade_out(samples, audio.SAMPLE_RATE, FADE_OUT_SECONDS)
    return audio.encode(samples, audio.SAMPLE_RATE, args.format)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--format", default="ogg")
    parser.add_argument("--fluidsynth", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument("--cut-at", type=float, default=None)
    parser.add_argument("--cpu-seconds", type=int, default=int(RENDER_TIMEOUT_SECONDS) + 5)
    args = parser.parse_args(argv)
    _limit_resources(args.cpu_seconds)
    try:
        data = _child_main(args)
    except AudioError as exc:
        print(str(exc), file=sys.stderr)
        return USER_ERROR_EXIT
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
