"""Audio previews of a Score: FluidSynth with a General MIDI SoundFont, else a plain synth.

The preferred path writes the Score as MIDI to a temporary directory and runs the
``fluidsynth`` command line in fast-render mode (no audio device, no realtime pacing;
30 s of four-track music render in a fraction of a second) with the TimGM6mb SoundFont
that ships inside pretty_midi, so instruments follow the tracks' General MIDI programs
and drum tracks play the GM kit on channel 10. Where the ``fluidsynth`` binary is
missing (it comes from the Debian package ``fluidsynth``), a logged warning says so and
a small additive sine synthesizer renders every note instead, so previews never fail.

Output is peak-normalised, trimmed a short release tail after the last note ends (or
sooner where the tail falls silent) and encoded with
libsndfile (in the soundfile wheel): Ogg Vorbis by default, or WAV / FLAC.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from music.midi_io import score_to_midi
from music.score import Score

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22050
TAIL_SECONDS = 0.5  # at most this much release and reverb is kept after the last note
FADE_SECONDS = 0.05  # fade at the cut, so trimming never clicks
SILENCE_DB = -60.0  # trailing audio quieter than this (relative to full scale) is cut
PEAK = 0.9  # every render is scaled to this peak
FLUIDSYNTH_GAIN = 0.6
FLUIDSYNTH_TIMEOUT_SECONDS = 120
ENCODE_BLOCK_SECONDS = 1.0  # see encode(): one large write crashes libsndfile
SOUNDFONT_ENV = "CHARTBUSTERS_SOUNDFONT"
FORMATS = {"ogg": ("OGG", "VORBIS"), "wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16")}


class AudioError(RuntimeError):
    """Rendering failed for a reason the caller should see (bad format, broken SoundFont)."""


def soundfont_path() -> Path:
    """``$CHARTBUSTERS_SOUNDFONT`` if set, else pretty_midi's bundled TimGM6mb.sf2."""
    configured = os.environ.get(SOUNDFONT_ENV)
    if configured:
        return Path(configured)
    import pretty_midi

    return Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"


def fluidsynth_available() -> bool:
    return shutil.which("fluidsynth") is not None and soundfont_path().is_file()


def render_audio(
    score: Score,
    format: str = "ogg",
    *,
    sample_rate: int = SAMPLE_RATE,
    use_fluidsynth: bool | None = None,
) -> bytes:
    """The Score as encoded audio bytes (``format``: ogg, wav or flac).

    ``use_fluidsynth`` None picks FluidSynth when available; False forces the fallback
    synth; True requires FluidSynth and raises AudioError without it.
    """
    if format not in FORMATS:
        raise AudioError(f"unsupported audio format {format!r}; use one of {sorted(FORMATS)}")
    samples = render_samples(score, sample_rate=sample_rate, use_fluidsynth=use_fluidsynth)
    return encode(samples, sample_rate, format)


def render_samples(
    score: Score, *, sample_rate: int = SAMPLE_RATE, use_fluidsynth: bool | None = None
) -> np.ndarray:
    """Float32 samples, shape (frames, channels), trimmed and peak-limited."""
    available = fluidsynth_available()
    if use_fluidsynth and not available:
        raise AudioError("FluidSynth or its SoundFont is not installed")
    if use_fluidsynth is None and not available:
        logger.warning(
            "fluidsynth not found (install the Debian package 'fluidsynth'): "
            "rendering the preview with the plain fallback synth"
        )
    if score.note_count == 0:
        return np.zeros((int(sample_rate * TAIL_SECONDS), 1), dtype=np.float32)
    if available and use_fluidsynth is not False:
        samples = render_fluidsynth(score, sample_rate)
    else:
        samples = synthesize(score, sample_rate)
    return trim(normalise(samples), sample_rate, end_seconds=score.duration_seconds)


def render_fluidsynth(score: Score, sample_rate: int) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="chartbusters-audio-") as tmp:
        midi_path = Path(tmp) / "in.mid"
        wav_path = Path(tmp) / "out.wav"
        midi_path.write_bytes(score_to_midi(score))
        command = [
            "fluidsynth",
            "-n",  # no MIDI input driver
            "-i",  # no interactive shell
            "-q",
            "-F",
            str(wav_path),
            "-T",
            "wav",
            "-O",
            "float",  # float output: no clipping before we scale the peak
            "-r",
            str(sample_rate),
            "-g",
            str(FLUIDSYNTH_GAIN),
            str(soundfont_path()),
            str(midi_path),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=FLUIDSYNTH_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise AudioError("fluidsynth took too long") from exc
        if done.returncode != 0 or not wav_path.exists():
            message = done.stderr.decode(errors="replace").strip()[-500:]
            raise AudioError(f"fluidsynth failed ({done.returncode}): {message}")
        samples, _ = sf.read(wav_path, dtype="float32", always_2d=True)
    return samples


def trim(samples: np.ndarray, sample_rate: int, *, end_seconds: float) -> np.ndarray:
    """Cut at most ``TAIL_SECONDS`` after ``end_seconds``, earlier if the tail falls silent.

    The cut fades out over ``FADE_SECONDS``. Silence *before* the end is kept: it is
    part of the music's timing (a rest, a padded pickup).
    """
    end = min(len(samples), int((end_seconds + TAIL_SECONDS) * sample_rate))
    start_of_tail = min(end, int(end_seconds * sample_rate))
    threshold = 10 ** (SILENCE_DB / 20)
    loud = np.flatnonzero(np.abs(samples[start_of_tail:end]).max(axis=1) > threshold)
    end = start_of_tail + int(loud[-1]) + 1 if len(loud) else start_of_tail
    end = max(end, min(len(samples), int(0.1 * sample_rate)))
    out = samples[:end].copy()
    fade = min(len(out), int(FADE_SECONDS * sample_rate))
    if fade:
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return out


def normalise(samples: np.ndarray) -> np.ndarray:
    """Scale to a peak of ``PEAK``: a solo melody and a full band preview equally loud."""
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak > 0:
        samples = samples * (PEAK / peak)
    return samples.astype(np.float32, copy=False)


def encode(samples: np.ndarray, sample_rate: int, format: str = "ogg") -> bytes:
    """Encode in blocks of ``ENCODE_BLOCK_SECONDS``: libsndfile 1.2's Vorbis encoder
    segfaults when one write holds about 95 s or more of stereo, and a crash there takes
    the whole process (a Celery worker) down with it."""
    container, subtype = FORMATS[format]
    channels = samples.shape[1] if samples.ndim == 2 else 1
    block = max(1, int(ENCODE_BLOCK_SECONDS * sample_rate))
    buffer = io.BytesIO()
    with sf.SoundFile(
        buffer, "w", samplerate=sample_rate, channels=channels, format=container, subtype=subtype
    ) as out:
        for start in range(0, len(samples), block):
            out.write(samples[start : start + block])
    return buffer.getvalue()


# ----- the fallback synth ---------------------------------------------------------------

_HARMONICS = np.array([1.0, 0.5, 0.25, 0.12])  # a soft, slightly reedy tone
_DECAY_SECONDS = 0.8  # amplitude falls by e every 0.8 s while a key is held
_RELEASE_SECONDS = 0.08
_ATTACK_SECONDS = 0.005


def synthesize(score: Score, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Additive sine synth: each note a few decaying harmonics; drums a noise burst.

    Returns mono float32 samples, shape (frames, 1). Programs are not told apart: this is
    a stand-in for when FluidSynth is missing, not an instrument.
    """
    spt = score.seconds_per_tick
    total = int((score.duration_seconds + TAIL_SECONDS) * sample_rate) + 1
    out = np.zeros(total, dtype=np.float64)
    rng = np.random.default_rng(0)
    voices = max(1, _peak_polyphony(score))
    for track in score.tracks:
        for note in track.notes:
            start = int(note.start * spt * sample_rate)
            held = note.duration * spt
            amplitude = (note.velocity / 127) / math.sqrt(voices)
            if track.is_drum:
                tone = _drum(rng, sample_rate)
            else:
                tone = _tone(note.pitch, held, sample_rate)
            tone = tone[: total - start]
            out[start : start + len(tone)] += amplitude * tone
    return out.astype(np.float32)[:, None]


def _tone(pitch: int, held_seconds: float, sample_rate: int) -> np.ndarray:
    frequency = 440.0 * 2 ** ((pitch - 69) / 12)
    length = int((held_seconds + _RELEASE_SECONDS) * sample_rate)
    t = np.arange(length) / sample_rate
    partials = np.arange(1, len(_HARMONICS) + 1)
    audible = partials * frequency < sample_rate / 2  # no aliasing above Nyquist
    phases = 2 * np.pi * frequency * np.outer(partials[audible], t)
    wave = (_HARMONICS[audible, None] * np.sin(phases)).sum(axis=0) / _HARMONICS.sum()
    envelope = np.exp(-t / _DECAY_SECONDS)
    envelope *= np.clip(t / _ATTACK_SECONDS, 0.0, 1.0)
    release = np.clip((held_seconds + _RELEASE_SECONDS - t) / _RELEASE_SECONDS, 0.0, 1.0)
    return wave * envelope * release


def _drum(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    t = np.arange(int(0.15 * sample_rate)) / sample_rate
    return rng.uniform(-1.0, 1.0, len(t)) * np.exp(-t / 0.03)


def _peak_polyphony(score: Score) -> int:
    events = sorted(
        (tick, change)
        for note in score.all_notes(include_drums=True)
        for tick, change in ((note.start, 1), (note.end, -1))
    )
    sounding = peak = 0
    for _, change in events:
        sounding += change
        peak = max(peak, sounding)
    return peak
