"""Which earlier entries a new one is checked against, and how a copy is named."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.evaluator import scoring
from chartbusters.submissions.evaluation import earlier_entries
from tests.chartbusters.builders import enter, piece, report, score_with
from tests.chartbusters.conftest import make_user

pytestmark = pytest.mark.django_db


def print_of(seed: int) -> scoring.Fingerprint:
    return scoring.parse_fingerprint(scoring.fingerprint_bytes(scoring.parse_upload(piece(seed))))


def test_only_earlier_entries_of_other_participants_are_checked(
    alice: User, bob: User, challenge: Challenge
) -> None:
    bobs = enter(bob, challenge, seed=1)
    alices_first = enter(alice, challenge, seed=2)
    alices_second = enter(alice, challenge, seed=2)
    enter(bob, challenge, seed=3)  # later: not checked
    checked = earlier_entries(alices_second)
    assert [e.entry_id for e in checked.entries] == [bobs.pk]
    assert alices_first.pk not in [e.entry_id for e in checked.entries]


def test_entries_flagged_as_copies_are_not_checked_again(
    alice: User, bob: User, challenge: Challenge
) -> None:
    original = enter(alice, challenge, seed=1)
    score_with(enter(bob, challenge, seed=1), report(50.0, copy_of=f"entry:{original.pk}"))
    carol = make_user("carol")
    later = enter(carol, challenge, seed=1)
    assert [e.entry_id for e in earlier_entries(later).entries] == [original.pk]


def test_a_copy_is_found_even_when_its_original_was_resubmitted() -> None:
    # alice entered piece 1 twice (a resubmission), bob entered piece 2.
    earlier = scoring.EarlierEntries(
        [
            scoring.EarlierEntry(1, 100, print_of(1)),
            scoring.EarlierEntry(2, 100, print_of(1)),
            scoring.EarlierEntry(3, 200, print_of(2)),
        ]
    )
    match = earlier.participant_index().find_copy(print_of(1))
    assert match is not None
    assert match.source == "participant:100"
    assert earlier.copied_entry(100, print_of(1)) == 1
    assert earlier.participant_index().find_copy(print_of(5)) is None


def test_a_copy_flag_names_the_copied_entry() -> None:
    earlier = scoring.EarlierEntries([scoring.EarlierEntry(7, 100, print_of(1))])
    message = "This entry copies participant:100: 100% of its voices match it."
    flags: list[dict[str, Any]] = [
        {"code": "copy", "message": message, "blocking": True, "source": "participant:100"}
    ]
    details: dict[str, Any] = {"novelty": {"copy_of": "participant:100"}}
    scoring.name_copied_entries(flags, details, message, earlier, print_of(1))
    assert flags[0]["source"] == "entry:7"  # for hosts; the owner reads no id
    assert flags[0]["message"].startswith("This entry matches an earlier entry: 100%")
    assert details["novelty"]["copy_of"] == "entry:7"


def _store_old_format_fingerprint(entry: Any) -> None:
    """As entries fingerprinted before the format was recorded were stored."""
    import io

    import numpy as np

    voices = print_of(1).voices
    buffer = io.BytesIO()
    np.savez_compressed(buffer, *voices)
    type(entry).objects.filter(pk=entry.pk).update(fingerprint=buffer.getvalue())


def test_an_entry_with_an_old_format_fingerprint_is_still_found_as_a_source(
    alice: User, bob: User, challenge: Challenge
) -> None:
    from chartbusters.submissions import evaluation

    evaluation._parsed.clear()  # parsed per process by entry id; ids repeat across tests
    original = enter(alice, challenge, seed=1)
    _store_old_format_fingerprint(original)
    original.refresh_from_db()
    assert not scoring.fingerprint_is_current(original.fingerprint)
    copy = enter(bob, challenge, seed=1)
    earlier = earlier_entries(copy)
    assert [e.entry_id for e in earlier.entries] == [original.pk]
    match = earlier.participant_index().find_copy(print_of(1))
    assert match is not None
    assert match.source == scoring.participant_source(original.participant_id)
    original.refresh_from_db()
    assert scoring.fingerprint_is_current(original.fingerprint)  # upgraded in place


def test_refingerprint_entries_upgrades_old_rows_once(
    alice: User, bob: User, challenge: Challenge
) -> None:
    from io import StringIO

    from django.core.management import call_command

    old = enter(alice, challenge, seed=1)
    enter(bob, challenge, seed=2)
    _store_old_format_fingerprint(old)
    out = StringIO()
    call_command("refingerprint_entries", stdout=out)
    assert "1 upgraded, 1 already current, 0 could not be upgraded" in out.getvalue()
    old.refresh_from_db()
    assert old.fingerprint == scoring.fingerprint_bytes(scoring.parse_upload(piece(1)))
    out = StringIO()
    call_command("refingerprint_entries", stdout=out)
    assert "0 upgraded, 2 already current" in out.getvalue()


def test_another_participants_entry_with_its_bars_shuffled_is_found_and_named() -> None:
    import numpy as np

    from evaluation.redteam.attacks import bar_shuffle, hocket

    original = scoring.parse_upload(piece(1, bars=16))
    earlier = scoring.EarlierEntries(
        [
            scoring.EarlierEntry(7, 100, print_of(3)),
            scoring.EarlierEntry(8, 100, scoring.fingerprint(original)),
            scoring.EarlierEntry(9, 200, print_of(2)),
        ]
    )
    index = earlier.participant_index()
    index.coverage.source_threshold = 0.5  # a profile's calibrated threshold is about this
    for disguise in (bar_shuffle, hocket):
        copy = scoring.fingerprint(disguise(original, np.random.default_rng(5)))
        match = index.find_copy(copy)
        assert match is not None
        assert match.source == "participant:100"
        assert earlier.copied_entry(100, copy) == 8  # not alice's other entry
    assert index.find_copy(print_of(5)) is None


def test_the_owner_reads_no_internal_ids_among_the_copied_sources() -> None:
    from chartbusters.evaluator.privacy import owner_details

    details = {"novelty": {"copy_of": "entry:7", "sources": ["entry:7", "bach-chorales:bwv1.6"]}}
    shown = owner_details(details)
    assert shown["novelty"]["copy_of"] == "an earlier entry"
    assert shown["novelty"]["sources"] == ["an earlier entry", "bach-chorales:bwv1.6"]
    assert details["novelty"]["sources"][0] == "entry:7"  # the host's copy is untouched
