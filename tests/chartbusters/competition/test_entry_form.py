"""The entry form's choices (issue 20, item 8): no technique is assumed for an uploaded
file, and compositions the challenge does not accept are shown, disabled, with the reason."""

from __future__ import annotations

import pytest
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.studio.models import Composition, CompositionKind
from chartbusters.studio.services import composition_create_from_sample
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge

pytestmark = pytest.mark.django_db

SAMPLE = "ode-to-joy"


def made_with(user: User, technique: str, title: str) -> Composition:
    composition = composition_create_from_sample(user=user, slug=SAMPLE, title=title)
    Composition.objects.filter(pk=composition.pk).update(
        kind=CompositionKind.GENERATED, technique=technique
    )
    return composition


def entry_form(client: Client, slug: str) -> str:
    return client.get(f"/submissions/enter/{slug}/").content.decode()


def test_an_uploaded_file_is_taken_as_your_own_by_default(client: Client, alice: User) -> None:
    make_challenge("anything-goes", allowed_techniques=["gan", "transformer", "upload"])
    client.force_login(alice)
    form = entry_form(client, "anything-goes")
    assert '<option value="upload" selected>' in form
    assert '<option value="gan" selected>' not in form


def test_no_technique_is_assumed_where_uploads_of_your_own_are_not_taken(
    client: Client, alice: User
) -> None:
    make_challenge("generators-only", allowed_techniques=["gan", "transformer"])
    client.force_login(alice)
    form = entry_form(client, "generators-only")
    assert '<option value="" selected>Choose how it was made</option>' in form
    assert '<option value="gan" selected>' not in form


def test_a_composition_the_challenge_does_not_take_is_shown_disabled_with_why(
    client: Client, alice: User
) -> None:
    make_challenge("extensions", allowed_techniques=["transformer"])
    gan = made_with(alice, "gan", "Accompanied")
    extended = made_with(alice, "transformer", "Extended")
    client.force_login(alice)
    form = entry_form(client, "extensions")
    assert f'<option value="{extended.uuid}">Extended (transformer' in form
    assert f'<option value="{gan.uuid}" disabled>Accompanied (gan' in form
    assert "not taken here: made with GAN (accompaniment)" in form

    response = client.post(
        "/submissions/enter/extensions/", {"composition": str(gan.uuid), "title": "Sneaked"}
    )
    assert response.status_code == 200
    assert "This challenge does not take pieces made with GAN (accompaniment)." in (
        response.content.decode()
    )
    assert not Submission.objects.exists()
