"""Claims made with weights that training has since replaced: re-run with the archived
weights and verified on an exact match; in plain words when their version cannot run.
And ``manage.py model_versions``, which says which versions entries depend on and whether
each can still run. The GAN (quickest) is "retrained" by saving noisy weights through the
save path training uses, in a temporary checkpoint folder."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.studio import scores
from chartbusters.studio.models import Composition
from chartbusters.studio.tasks import verify_provenance
from chartbusters.submissions.models import Submission
from generation import archive
from generation.registry import TECHNIQUES, generate
from music.midi_io import score_to_midi
from tests.chartbusters.builders import enter, make_challenge
from tests.generation.helpers import forget_loaded_models, retrain_gan, temporary_checkpoints

pytestmark = pytest.mark.django_db

SAMPLE = "new-world"
CODE = TECHNIQUES["gan"].code_version  # the GAN's generator code version
GONE = f"gan-{CODE}+0123456789"  # this code, weights nobody has


@pytest.fixture
def checkpoints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    yield temporary_checkpoints(monkeypatch, tmp_path / "checkpoints")
    forget_loaded_models()  # the next test loads the real shipped weights again


@pytest.fixture
def challenge(db: None) -> Challenge:
    return make_challenge(allowed_techniques=["gan", "arcnn", "transformer", "upload"])


def claim(**changes: Any) -> dict[str, Any]:
    return {
        "input": f"sample:{SAMPLE}",
        "technique": "gan",
        "parameters": {"style": "chorale"},
        "seed": 5,
        "model_version": TECHNIQUES["gan"].version,
    } | changes


def made_today(provenance: dict[str, Any]) -> bytes:
    """What ``python -m generation`` makes of the claim with the weights shipped now."""
    source = scores.score_from_stored_midi(scores.midi_bytes(scores.sample_score(SAMPLE)))
    return score_to_midi(generate("gan", source, provenance["parameters"], provenance["seed"]))


def checked(
    user: User, challenge: Challenge, midi: bytes, provenance: dict[str, Any]
) -> Submission:
    entry = enter(user, challenge, technique="gan", midi_bytes=midi, provenance=provenance)
    verify_provenance.run(entry.pk)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def yesterdays(checkpoints: Path) -> tuple[dict[str, Any], bytes]:
    """A claim made (and its MIDI) before the chorale style was retrained."""
    provenance = claim()
    midi = made_today(provenance)
    retrain_gan("chorale")
    assert TECHNIQUES["gan"].version != provenance["model_version"]
    return provenance, midi


def test_a_claim_made_before_retraining_is_verified_with_the_archived_weights(
    alice: User, challenge: Challenge, yesterdays: tuple[dict[str, Any], bytes]
) -> None:
    provenance, midi = yesterdays
    assert made_today(provenance) != midi  # today's weights would not make it
    entry = checked(alice, challenge, midi, provenance)
    assert (entry.verification, entry.verification_note) == ("verified", "")


def test_a_tampered_claim_on_an_archived_version_is_still_unverified(
    alice: User, challenge: Challenge, yesterdays: tuple[dict[str, Any], bytes]
) -> None:
    provenance, midi = yesterdays
    entry = checked(alice, challenge, midi, provenance | {"seed": 6})
    assert entry.verification == "unverified"
    assert entry.verification_note.startswith(("Note ", "The claim gives")), entry.verification_note


def test_a_version_whose_weights_are_gone_says_so(
    alice: User, challenge: Challenge, checkpoints: Path
) -> None:
    entry = checked(alice, challenge, made_today(claim()), claim(model_version=GONE))
    assert entry.verification == "unverified"
    assert entry.verification_note == (
        f"The model version {GONE} is no longer shipped or archived (we run "
        f"{TECHNIQUES['gan'].version}), so this cannot be verified."
    )


def test_a_version_made_by_other_generator_code_says_so(
    alice: User, challenge: Challenge, checkpoints: Path
) -> None:
    before = int(CODE) - 1
    older = TECHNIQUES["gan"].version.replace(f"gan-{CODE}+", f"gan-{before}+")
    entry = checked(alice, challenge, made_today(claim()), claim(model_version=older))
    assert entry.verification == "unverified"
    assert entry.verification_note == (
        f"The model version {older} was made with generator code version {before}; this "
        f"service runs {CODE}, so this cannot be verified."
    )


def test_archived_weights_that_no_longer_load_say_so(
    alice: User, challenge: Challenge, yesterdays: tuple[dict[str, Any], bytes], checkpoints: Path
) -> None:
    provenance, midi = yesterdays
    (kept,) = (checkpoints / "archive").glob("gan-chorale+*")
    (kept / "gan-chorale.pt").write_bytes(b"not weights")
    entry = checked(alice, challenge, midi, provenance)
    assert entry.verification == "unverified"
    assert entry.verification_note.startswith(
        f"The archived weights {kept.name} no longer load here ("
    ), entry.verification_note
    assert entry.verification_note.endswith("), so this cannot be verified.")


# ----- manage.py model_versions ------------------------------------------------------------


def model_versions() -> list[str]:
    out = StringIO()
    call_command("model_versions", stdout=out)
    return out.getvalue().splitlines()


def named(user: User, challenge: Challenge, version: str, verification: str) -> None:
    """An entry whose provenance names ``version``, standing as ``verification``."""
    entry = enter(user, challenge, technique="gan", provenance=claim(model_version=version))
    Submission.objects.filter(pk=entry.pk).update(verification=verification)


def test_model_versions_lists_each_version_and_whether_it_can_run(
    alice: User, challenge: Challenge, checkpoints: Path
) -> None:
    old = TECHNIQUES["gan"].version
    old_renaissance = archive.shipped_digest("gan-renaissance")
    retrain_gan("chorale")
    retrain_gan("renaissance", seed=1)  # the old renaissance weights: no entry uses them alone
    chorale = next(c for c in archive.archived_checkpoints() if c.name == "gan-chorale")
    new = TECHNIQUES["gan"].version
    named(alice, challenge, old, "verified")
    named(alice, challenge, new, "pending")
    named(alice, challenge, GONE, "unverified")  # an invented claim: nothing depends on it
    Composition.objects.create(
        owner=alice, title="Made here", kind="generated", technique="gan", model_version=new
    )
    rows = [  # one a version, sorted by version
        f"{GONE}  gone  (0 entries depending, 1 other entry, 0 compositions): the model "
        f"version {GONE} is no longer shipped or archived (we run {new})",
        f"{old}  archived  (1 entry depending, 0 other entries, 0 compositions): archived "
        f"weights {chorale.folder}, gan-renaissance+{old_renaissance}",
        f"{new}  shipped  (1 entry depending, 0 other entries, 1 composition)",
    ]
    assert model_versions() == [
        "3 model versions named:",
        *sorted(rows),
        "0 archived checkpoints no entry depends on.",
    ]


def test_model_versions_lists_the_archived_checkpoints_no_entry_depends_on(
    alice: User, challenge: Challenge, checkpoints: Path
) -> None:
    digest = archive.shipped_digest("gan-chorale")
    retrain_gan("chorale")
    named(alice, challenge, TECHNIQUES["gan"].version, "studio")
    lines = model_versions()
    folder = checkpoints / "archive" / f"gan-chorale+{digest}"
    assert lines[-2:] == [
        "1 archived checkpoint no entry depends on (delete these folders to prune the archive):",
        f"  {folder}  {sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.1f} MB",
    ]


def test_model_versions_fails_when_an_entry_depends_on_a_version_that_is_gone(
    alice: User, challenge: Challenge, checkpoints: Path
) -> None:
    named(alice, challenge, TECHNIQUES["gan"].version, "verified")
    assert model_versions()[0] == "1 model version named:"  # all can run: exit status 0
    named(alice, challenge, GONE, "verified")
    with pytest.raises(CommandError) as caught:  # manage.py exits 1 with this message
        model_versions()
    assert str(caught.value) == (
        f"Entries depend on 1 model version this service can no longer run: {GONE}. Put a "
        "deleted checkpoint back in generation/checkpoints/archive/<name>+<digest>/; a "
        "version of other generator code cannot run here."
    )
