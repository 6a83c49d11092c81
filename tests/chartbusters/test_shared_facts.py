"""Facts the code states in one place and uses in many agree wherever they are used."""

from __future__ import annotations

from django.db import models
from django.template import engines
from django.test import RequestFactory

from chartbusters.challenges.models import GENERATOR_TECHNIQUES, Challenge, Technique
from chartbusters.core import limits
from chartbusters.leaderboards.models import FinalResult
from chartbusters.studio.models import Composition
from chartbusters.submissions.models import Submission
from generation.registry import TECHNIQUES


def test_every_title_field_takes_the_shared_title_limit() -> None:
    for model in (Challenge, Submission, Composition, FinalResult):
        field = model._meta.get_field("title")
        assert isinstance(field, models.CharField)
        assert field.max_length == limits.TITLE, model.__name__


def test_pages_read_the_limits_from_the_context() -> None:
    template = engines["django"].from_string(
        '<input maxlength="{{ limits.TITLE }}"><textarea maxlength="{{ limits.TEXT }}">'
    )
    html = template.render(request=RequestFactory().get("/"))
    assert html == f'<input maxlength="{limits.TITLE}"><textarea maxlength="{limits.TEXT}">'


def test_the_challenge_techniques_are_the_generator_registry_plus_upload() -> None:
    assert {t.value for t in GENERATOR_TECHNIQUES} == set(TECHNIQUES)
    assert {t.value for t in Technique} == set(TECHNIQUES) | {"upload"}
