"""The determinism contract that provenance rests on: the same technique, model version,
input, parameters and seed give byte-identical MIDI, in a fresh process and with another
torch thread count (the studio's workers run one thread, a participant's machine may not).

Each shipped technique is run here, in the test process with one thread, and through the
command line (``python -m generation``) in a new process with two threads; the two files
must be the same bytes, and the command must name the same model version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generation.checkpoint import shipped_path
from generation.registry import TECHNIQUES, generate
from music.catalogue import load_sample
from music.midi_io import read_midi_file, write_midi_file

ROOT = Path(__file__).resolve().parents[2]

# Technique, CLI options and the same as parameters: every technique, a parameter off its
# default and a seed other than 0, so that nothing is right by accident.
CASES = [
    ("gan", ["--style", "chorale"], {"style": "chorale"}),
    ("gan", ["--style", "renaissance"], {"style": "renaissance"}),
    ("arcnn", ["--sampling-iterations", "60"], {"sampling_iterations": 60}),
    ("transformer", ["--creative-risk", "1.3"], {"creative_risk": 1.3}),
]

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


@pytest.mark.parametrize(("technique", "options", "params"), CASES, ids=lambda c: str(c))
def test_a_fresh_process_with_two_threads_writes_the_same_bytes(
    tmp_path: Path, technique: str, options: list[str], params: dict[str, object]
) -> None:
    style = str(params.get("style", ""))
    if not shipped_path(technique, style).exists():
        pytest.skip(f"no shipped {technique} checkpoint")
    given = tmp_path / "input.mid"
    write_midi_file(load_sample("ode-to-joy"), given)
    here = tmp_path / "here.mid"
    write_midi_file(generate(technique, read_midi_file(given), params, seed=7), here)

    there = tmp_path / "there.mid"
    command = [sys.executable, "-m", "generation", technique, str(given), "-o", str(there)]
    done = subprocess.run(
        [*command, "--seed", "7", "--threads", "2", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert TECHNIQUES[technique].version in done.stdout
    assert there.read_bytes() == here.read_bytes()


def test_another_seed_or_parameter_changes_the_bytes(tmp_path: Path) -> None:
    # The contract is only worth something if the comparison can fail.
    score = load_sample("ode-to-joy")
    outputs = set()
    for seed, risk in ((7, 1.3), (8, 1.3), (7, 1.6)):
        path = tmp_path / f"{seed}-{risk}.mid"
        write_midi_file(generate("transformer", score, {"creative_risk": risk}, seed), path)
        outputs.add(path.read_bytes())
    assert len(outputs) == 3
