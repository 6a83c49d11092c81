"""Names people understand (issue 20, item 10): one table of labels and help, served by
the API and used by the report, the entry's chain, the studio and the admin; limits the
pages' scripts apply come from the server."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.evaluator import scoring
from chartbusters.studio import generators
from chartbusters.submissions.models import Submission
from music.midi_limits import Limits
from tests.chartbusters.builders import enter, make_challenge, report, score_with

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]
CLAIM = {
    "input": "sample:minuet-in-g",
    "technique": "arcnn",
    "parameters": {"creative_risk": 1.5, "sampling_iterations": 50},
    "seed": 7,
    "model_version": "arcnn-1",
}


def test_the_api_gives_a_label_and_help_for_every_name(api: APIClient) -> None:
    table = api.get("/api/labels/").json()
    groups = ("components", "statistics", "flags", "profiles", "techniques", "samples",
              "verification", "entry_states", "job_states", "rubric")  # fmt: skip
    for group in groups:
        assert table[group], group
        for name, row in table[group].items():
            assert row["label"], (group, name)
            assert row["help"], (group, name)
            assert "_" not in row["label"], (group, name)
    assert table["statistics"]["leap_recovery_rate"]["label"] == "Leaps answered by steps"
    risk = table["parameters"]["arcnn"]["creative_risk"]
    assert (risk["label"], risk["min"], risk["max"]) == ("Creative risk", 0.5, 6)
    assert table["samples"]["minuet-in-g"]["label"] == "Minuet in G major"


def scored_with_outliers(user: User) -> str:
    challenge = make_challenge()
    entry = enter(user, challenge, technique="arcnn", provenance=CLAIM)
    base = report(70.0, musicality=0.6)
    result = scoring.EntryReport(
        **{**base.__dict__, "details": {"typicality_outliers": {"leap_recovery_rate": 0.02}}}
    )
    score_with(entry, result)
    return str(entry.uuid)


def test_the_report_page_names_statistics_components_and_the_chain(
    client: Client, alice: User
) -> None:
    uuid = scored_with_outliers(alice)
    client.force_login(alice)
    page = unescape(client.get(f"/submissions/{uuid}/").content.decode())
    for internal in ("leap_recovery_rate", "sample:minuet-in-g", "minuet-in-g", "creative_risk",
                     "bach-chorales", "{'"):  # fmt: skip
        assert internal not in page, internal
    assert "Leaps answered by steps" in page
    assert "Musicality" in page
    assert "Minuet in G major" in page
    assert "Creative risk 1.5" in page
    assert "Bach chorales" in page


def test_the_admin_shows_an_entry_in_words(client: Client, alice: User, host: User) -> None:
    uuid = scored_with_outliers(alice)
    host.is_staff = True
    host.save(update_fields=["is_staff"])
    client.force_login(host)
    pk = Submission.objects.get(uuid=uuid).pk
    page = unescape(client.get(f"/admin/submissions/submission/{pk}/change/").content.decode())
    assert "{'" not in page  # no Python dict
    assert "Minuet in G major" in page
    assert "Leaps answered by steps" in page


def test_the_recorder_takes_its_tempo_range_from_the_server(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/studio/").content.decode()
    (tag,) = re.findall(r"<input[^>]*id=\"rec-tempo\"[^>]*>", page)
    limits = Limits()
    assert f'min="{limits.min_tempo:g}"' in tag
    assert f'max="{limits.max_tempo:g}"' in tag
    script = (REPO / "static/js/studio/recorder.js").read_text(encoding="utf-8")
    getter = script[script.index("get tempo()") :].split("\n  }", 1)[0]
    assert re.findall(r"\d+", getter) == ["100"], getter  # the default only, no range


def test_the_recorder_and_editor_take_the_bar_limit_from_the_server(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    page = client.get("/studio/").content.decode()
    limit = f'data-max-bars="{generators.MAX_BARS}"'
    assert page.count(limit) == 2  # the recorder and the editor
    for name in ("recorder.js", "editor.js"):
        script = (REPO / "static/js/studio" / name).read_text(encoding="utf-8")
        assert "MAX_BARS" not in script, name
