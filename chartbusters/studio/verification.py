"""Re-running a client's generator claim and comparing notes (see
``submissions.verification`` for the pipeline around it).

The generators are deterministic: the same input, parameters, seed and model version
give the same MIDI in any process. So a claim is checked by running it again here and
comparing the result, note for note, with the entry. Both sides are read back through
the same MIDI reader, so only the music can differ, never its encoding. A claim may name
an older model version: weights that training replaced are archived, and the claim is
re-run with them; a version whose weights are gone, or that other sampling code made,
cannot be verified, and the note says which.

Every outcome is a sentence a participant can act on; nothing a client can send makes
this raise (a claim that cannot run is unverified, with the reason).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from chartbusters.core.errors import ApplicationError
from chartbusters.studio import generators, scores
from chartbusters.submissions.provenance import SAMPLE_PREFIX
from music.render import pitch_name
from music.score import Score


@dataclass(frozen=True)
class Outcome:
    verified: bool
    note: str = ""


class ClaimError(Exception):
    """The claim cannot be re-run; ``args[0]`` says why, in plain words."""


def claim_input(value: Any) -> Score:
    """The claimed input: a sample melody (``"sample:<slug>"`` or ``{"sample": slug}``)
    or the input MIDI itself (``{"midi": "<base64>"}``), read as the studio reads it."""
    if isinstance(value, str) and value.startswith(SAMPLE_PREFIX):
        value = {"sample": value.removeprefix(SAMPLE_PREFIX)}
    if isinstance(value, dict) and isinstance(value.get("sample"), str):
        try:
            data = scores.midi_bytes(scores.sample_score(value["sample"]))
        except ApplicationError as exc:
            raise ClaimError(f"the input names no sample melody we ship ({exc.message})") from None
        return scores.score_from_stored_midi(data)
    if isinstance(value, dict) and isinstance(value.get("midi"), str):
        try:
            data = base64.b64decode(value["midi"], validate=True)
        except (binascii.Error, ValueError):
            raise ClaimError("the input MIDI is not valid base64") from None
        try:
            return scores.score_from_upload(data)
        except ApplicationError as exc:
            raise ClaimError(f"the input MIDI is refused: {exc.message}") from None
    raise ClaimError(
        'the input is neither a sample melody ("sample:<id>") nor an input MIDI file '
        '({"midi": "<base64>"})'
    )


def rerun(provenance: dict[str, Any]) -> Score:
    """Run the claim again (imports torch: a generation worker only)."""
    technique, version = provenance.get("technique"), provenance.get("model_version")
    if not generators.is_technique(technique):
        raise ClaimError(f"the technique {technique!r} is not one we ship")
    assert isinstance(technique, str)
    status = generators.version_status(str(version), technique)
    if status.state == generators.GONE:
        raise ClaimError(f"{status.reason}, so this cannot be verified")
    try:
        params, seed = generators.check_request(
            technique, provenance.get("parameters"), provenance.get("seed")
        )
    except ApplicationError as exc:
        raise ClaimError(f"the parameters are not valid: {exc.message}") from None
    score = claim_input(provenance.get("input"))
    try:
        result = generators.generate(technique, score, params, seed, version=status.version)
    except generators.ModelVersionError as exc:
        text = exc.message.rstrip(".")
        raise ClaimError(f"{text[:1].lower()}{text[1:]}, so this cannot be verified") from None
    except generators.GenerationError as exc:
        raise ClaimError(f"the generator refused the claimed input: {exc.message}") from None
    return scores.score_from_stored_midi(scores.midi_bytes(result))


NoteKey = tuple[int, int, int, int, int]  # start, pitch, track, duration, velocity


def note_keys(score: Score) -> list[NoteKey]:
    keys = [
        (note.start, note.pitch, number, note.duration, note.velocity)
        for number, track in enumerate(score.tracks, start=1)
        for note in track.notes
    ]
    return sorted(keys)


def _beat(ticks: int, score: Score) -> str:
    return f"{ticks / score.resolution + 1:g}"


def _beats(ticks: int, score: Score) -> str:
    count = ticks / score.resolution
    return f"{count:g} beat" + ("" if count == 1 else "s")


def _describe(key: NoteKey, score: Score) -> str:
    return f"{pitch_name(key[1])} at beat {_beat(key[0], score)}"


def _difference(number: int, claim: NoteKey, entry: NoteKey, score: Score) -> str:
    where = f"note {number} differs: the claim gives"
    if claim[:2] != entry[:2]:
        if claim[0] == entry[0]:
            return f"{where} {_describe(claim, score)}, the entry has {pitch_name(entry[1])}"
        return f"{where} {_describe(claim, score)}, the entry has {_describe(entry, score)}"
    if claim[2] != entry[2]:
        return (
            f"{where} {_describe(claim, score)} in track {claim[2]}, the entry in track {entry[2]}"
        )
    if claim[3] != entry[3]:
        lengths = f"{_beats(claim[3], score)}, the entry {_beats(entry[3], score)}"
        return f"{where} {_describe(claim, score)} lasting {lengths}"
    return f"{where} {_describe(claim, score)} at velocity {claim[4]}, the entry at {entry[4]}"


def first_difference(claim: Score, entry: Score) -> str:
    """The first note (in time, then pitch) where the entry departs from the re-run, in
    words; "" when the notes are the same. Times are read at the claim's resolution."""
    if claim.resolution != entry.resolution:
        return (
            f"the entry's timing resolution is {entry.resolution} ticks a beat, the claim's "
            f"{claim.resolution}"
        )
    ours, theirs = note_keys(claim), note_keys(entry)
    for number, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            return _difference(number, a, b, claim)
    if len(ours) == len(theirs):
        return ""
    number = min(len(ours), len(theirs)) + 1
    counts = f"the claim gives {len(ours)} notes, the entry {len(theirs)}"
    if len(ours) > len(theirs):
        return f"{counts}: note {number} ({_describe(ours[number - 1], claim)}) is missing"
    return f"{counts}: note {number} ({_describe(theirs[number - 1], claim)}) is extra"


def check_claim(provenance: dict[str, Any], entry_midi: bytes) -> Outcome:
    """Re-run the claim and compare; verified only on exactly the same notes."""
    try:
        regenerated = rerun(provenance)
    except ClaimError as exc:
        return Outcome(False, _sentence(str(exc)))
    entry = scores.score_from_stored_midi(entry_midi)
    difference = first_difference(regenerated, entry)
    return Outcome(not difference, _sentence(difference) if difference else "")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
