"""The studio's server-rendered pages: they work without JavaScript and show only mine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.studio.models import Composition
from chartbusters.studio.services import composition_create_from_sample, job_start
from chartbusters.studio.tasks import render_composition_audio, run_generation_job
from tests.chartbusters.builders import make_challenge
from tests.chartbusters.studio.helpers import SAMPLE

pytestmark = pytest.mark.django_db


def test_the_studio_page_gets_its_context(
    client: Client, alice: User, sample_input: Composition
) -> None:
    make_challenge()
    client.force_login(alice)
    response = client.get(f"/studio/?from={sample_input.uuid}")
    assert response.status_code == 200
    context: Any = response.context
    assert len(context["samples"]) == 20
    assert [t["name"] for t in context["techniques"]] == ["arcnn", "gan", "transformer"]
    assert context["open_challenges"][0]["slug"] == "bach-to-the-future"
    assert context["start"] == str(sample_input.uuid)


def test_the_studio_ignores_a_start_that_is_not_mine(
    client: Client, bob: User, sample_input: Composition
) -> None:
    client.force_login(bob)
    assert client.get(f"/studio/?from={sample_input.uuid}").context["start"] is None
    assert client.get("/studio/?from=junk").context["start"] is None


@pytest.mark.parametrize("url", ["/studio/", "/studio/compositions/", "/studio/compositions/{id}/"])
def test_the_pages_need_a_login(client: Client, sample_input: Composition, url: str) -> None:
    response = client.get(url.format(id=sample_input.uuid))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_shows_my_compositions_with_players_and_forms(
    client: Client, alice: User, bob: User, sample_input: Composition
) -> None:
    composition_create_from_sample(user=bob, slug=SAMPLE, title="Bob's <b>tune</b>")
    client.force_login(alice)
    page = client.get("/studio/compositions/").content.decode()
    assert sample_input.title in page
    assert "Bob&#x27;s" not in page
    assert "Bob's" not in page
    assert f"/api/studio/compositions/{sample_input.uuid}/midi" in page
    assert f"/studio/?from={sample_input.uuid}" in page
    assert f'action="/studio/compositions/{sample_input.uuid}/rename/"' in page
    assert f'action="/studio/compositions/{sample_input.uuid}/delete/"' in page
    assert page.count("csrfmiddlewaretoken") >= 2


def test_the_detail_shows_provenance_chain_roll_and_player(
    client: Client, alice: User, sample_input: Composition
) -> None:
    first = job_start(user=alice, input=sample_input, technique="gan", seed=1)
    run_generation_job.run(first.pk)
    first.refresh_from_db()
    assert first.result is not None
    second = job_start(user=alice, input=first.result, technique="transformer", seed=2)
    run_generation_job.run(second.pk)
    second.refresh_from_db()
    assert second.result is not None
    client.force_login(alice)
    page = client.get(f"/studio/compositions/{second.result.uuid}/").content.decode()
    assert "Audio is being rendered; reload in a moment." in page  # the job is done first
    assert render_composition_audio.run(second.result.pk) == "rendered"
    page = client.get(f"/studio/compositions/{second.result.uuid}/").content.decode()
    assert "<svg" in page
    assert "<audio controls" in page
    assert "Model version" in page
    assert second.result.model_version in page
    assert "Sampling technique: top-k" in page  # its label, not its machine name
    chain = page.split("Made from")[1]
    assert chain.index(str(first.result.uuid)) < chain.index(str(sample_input.uuid))


def test_others_get_404_on_every_page_and_form(
    client: Client, bob: User, sample_input: Composition
) -> None:
    client.force_login(bob)
    base = f"/studio/compositions/{sample_input.uuid}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}rename/", {"title": "Mine now"}).status_code == 404
    assert client.post(f"{base}delete/").status_code == 404
    assert client.post(f"{base}submit/", {"title": "x"}).status_code == 404
    sample_input.refresh_from_db()
    assert sample_input.title != "Mine now"


def test_rename_and_delete_forms_work_and_need_csrf(alice: User, sample_input: Composition) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    base = f"/studio/compositions/{sample_input.uuid}/"
    assert strict.post(f"{base}rename/", {"title": "No token"}).status_code == 403
    client = Client()
    client.force_login(alice)
    response = client.post(f"{base}rename/", {"title": "Renamed", "next": "list"})
    assert response["Location"] == "/studio/compositions/"
    sample_input.refresh_from_db()
    assert sample_input.title == "Renamed"
    assert client.post(f"{base}delete/")["Location"] == "/studio/compositions/"
    assert not Composition.objects.filter(pk=sample_input.pk).exists()


def test_the_studio_template_embeds_the_json(client: Client, alice: User) -> None:
    """The frontend's template reads these ids (json_script)."""
    client.force_login(alice)
    page = client.get("/studio/").content.decode()
    for element in ("studio-samples", "studio-techniques", "studio-challenges", "studio-start"):
        assert f'id="{element}"' in page, element
    start = page.split('id="studio-start"')[1].split(">", 1)[1].split("<", 1)[0]
    assert json.loads(start) is None
