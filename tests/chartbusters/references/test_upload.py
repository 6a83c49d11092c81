"""Hosts add reference pieces in the admin: each file is checked as an entry is, and
what is refused is listed with the reason; duplicates are refused, near-duplicates
marked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from io import BytesIO
from pathlib import Path

import pytest
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.references.models import PieceOrigin, ReferencePiece, ReferenceSet
from chartbusters.references.services import reference_set_add_corpus, reference_set_add_files
from tests.chartbusters.builders import piece
from tests.chartbusters.references.helpers import (
    drums_only,
    make_set,
    near_copy,
    one_note,
    zipped,
)

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]


def named(data: bytes, name: str) -> BytesIO:
    handle = BytesIO(data)
    handle.name = name
    return handle


def reasons(reference_set: ReferenceSet) -> dict[str, str]:
    reference_set.refresh_from_db()
    return {r["file"]: r["reason"] for r in reference_set.last_refusals}


def test_a_zip_is_checked_file_by_file_and_the_refusals_say_why(host: User) -> None:
    carols = make_set(host)
    archive = zipped(
        {
            "carols/good-1.mid": piece(1),
            "carols/good-2.mid": piece(2),
            "carols/garbage.mid": b"MThd this is not a MIDI file at all",
            "carols/drums.mid": drums_only(),
            "carols/drone.mid": one_note(),
            "carols/again.mid": piece(1),
            "carols/notes.txt": b"liner notes",
            "__MACOSX/carols/._good-1.mid": b"resource fork",
        }
    )
    report = reference_set_add_files(reference_set=carols, files=[("carols.zip", archive)])

    assert sorted(report.added) == ["good-1.mid", "good-2.mid"]
    why = reasons(carols)
    assert set(why) == {"garbage.mid", "drums.mid", "drone.mid", "again.mid",
                        "carols.zip/carols/notes.txt"}  # fmt: skip
    assert "drum" in why["drums.mid"].lower()
    assert why["drone.mid"].startswith("One note, repeated")
    assert why["again.mid"] == "The same music as good-1.mid."
    assert "Not a MIDI file" in why["carols.zip/carols/notes.txt"]
    assert why["garbage.mid"]  # the validator's own message
    assert ReferencePiece.objects.filter(reference_set=carols).count() == 2


def test_a_file_already_in_the_set_is_refused_on_a_later_upload(host: User) -> None:
    carols = make_set(host)
    reference_set_add_files(reference_set=carols, files=[("a.mid", piece(1))])
    report = reference_set_add_files(reference_set=carols, files=[("b.mid", piece(1))])
    assert report.added == []
    assert reasons(carols) == {"b.mid": "The same music as a.mid."}


def test_near_duplicates_are_kept_and_marked(host: User) -> None:
    carols = make_set(host)
    files = [("a.mid", piece(1)), ("b.mid", near_copy(1)), ("c.mid", piece(3))]
    reference_set_add_files(reference_set=carols, files=files)
    marks = dict(carols.pieces.values_list("name", "near_duplicate_of"))
    assert marks == {"a.mid": "", "b.mid": "a.mid", "c.mid": ""}
    assert (carols.pieces.get(name="b.mid").near_duplicate_alignment or 0) >= 0.8


def test_a_broken_zip_is_refused_in_the_report(host: User) -> None:
    carols = make_set(host)
    reference_set_add_files(reference_set=carols, files=[("set.zip", b"PK\x03\x04broken")])
    assert reasons(carols) == {"set.zip": "Not a readable zip archive."}


def test_a_host_picks_pieces_of_a_bundled_corpus(host: User) -> None:
    carols = make_set(host)
    report = reference_set_add_corpus(
        reference_set=carols, corpus="bach-chorales", search="bwv248", limit=5
    )
    assert len(report.added) == 5
    assert all(name.startswith("bach/bwv248") for name in report.added)
    assert set(carols.pieces.values_list("origin", flat=True)) == {PieceOrigin.CORPUS}


def test_a_host_uploads_a_zip_in_the_admin_and_sees_what_was_refused(
    client: Client, host: User
) -> None:
    client.force_login(host)
    archive = zipped({"one.mid": piece(1), "two.mid": piece(2), "drums.mid": drums_only()})
    response = client.post(
        "/admin/references/referenceset/add/",
        {
            "name": "Christmas carols",
            "slug": "carols",
            "description": "Carols we sing",
            "licence_note": "Public domain arrangements.",
            "upload": [named(archive, "carols.zip"), named(piece(3), "three.mid")],
            "corpus": "",
            "corpus_search": "",
            "corpus_limit": "200",
            "pieces-TOTAL_FORMS": "0",
            "pieces-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    carols = ReferenceSet.objects.get(slug="carols")
    assert carols.owner == host
    assert sorted(carols.pieces.values_list("name", flat=True)) == [
        "one.mid", "three.mid", "two.mid"
    ]  # fmt: skip
    assert "3 piece(s) added, 1 refused" in response.content.decode()
    page = client.get(f"/admin/references/referenceset/{carols.pk}/change/").content.decode()
    assert "drums.mid" in page


def test_adding_pieces_in_the_web_process_loads_no_model_code(tmp_path: Path) -> None:
    """Checks, corpus picks and near-duplicates are parsing and comparing: no torch."""
    script = textwrap.dedent(
        """
        import sys, django
        django.setup()
        import chartbusters.references.admin
        from chartbusters.evaluator import building
        checked = building.check_reference_piece(open(sys.argv[1], "rb").read())
        picked = building.corpus_pick("bach-chorales", "bwv248", 3)
        building.near_duplicates([("a", checked.score), *[(i, s) for i, _, s in picked]])
        assert "torch" not in sys.modules, "the web side imported torch"
        """
    )
    midi = tmp_path / "piece.mid"
    midi.write_bytes(piece(1))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="chartbusters.settings", DEBUG="True")
    result = subprocess.run(
        [sys.executable, "-c", script, str(midi)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
