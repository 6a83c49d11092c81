"""``python -m generation``: clear errors with exit code 2, and a real run end to end."""

import subprocess
import sys
from pathlib import Path

import pytest

from generation.checkpoint import shipped_path
from music.midi_io import read_midi_file, write_midi_file
from music.score import Note, Score, Track
from music.validate import validate_midi

REPO = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "generation", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def melody_file(tmp_path, bars=8):
    notes = [Note(i * 480, 60 + (0, 4, 7, 4)[i % 4], 480, 90) for i in range(4 * bars)]
    path = tmp_path / "in.mid"
    write_midi_file(Score([Track(notes, program=73)], resolution=480, tempo=88.0), path)
    return path


def test_a_parameter_out_of_range_exits_2_with_its_range(tmp_path):
    result = run("arcnn", melody_file(tmp_path), "-o", tmp_path / "out.mid", "--creative-risk", "9")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: Creative risk must be between 0.5 and 6, not 9."
    assert not (tmp_path / "out.mid").exists()


def test_a_file_that_is_not_midi_exits_2(tmp_path):
    bogus = tmp_path / "bogus.mid"
    bogus.write_bytes(b"RIFF this is not a MIDI file")
    result = run("arcnn", bogus, "-o", tmp_path / "out.mid")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


def test_a_missing_file_and_a_long_input_exit_2(tmp_path):
    assert run("arcnn", tmp_path / "nowhere.mid", "-o", tmp_path / "out.mid").returncode == 2
    result = run("arcnn", melody_file(tmp_path, bars=40), "-o", tmp_path / "out.mid")
    assert result.returncode == 2
    assert "the limit is 32 bars" in result.stderr


@pytest.mark.skipif(not shipped_path("arcnn").exists(), reason="no shipped AR-CNN checkpoint")
def test_it_writes_a_valid_file_keeping_tempo(tmp_path):
    out = tmp_path / "out.mid"
    result = run(
        "arcnn", melody_file(tmp_path), "-o", out, "--seed", "3", "--sampling-iterations", "30"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}")
    edited = validate_midi(out.read_bytes())
    assert round(edited.tempo) == 88
    assert [t.name for t in edited.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert {t.program for t in edited.tracks} == {52}  # a choir
    assert edited.tracks != read_midi_file(tmp_path / "in.mid").tracks
