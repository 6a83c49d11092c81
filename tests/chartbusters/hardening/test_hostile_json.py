"""Hostile JSON: bodies nested far deeper than any real request, and numbers too large for
a float, get a 400 with a message on every route that reads JSON, never a 500.

Python's parser recurses once per level of nesting, so 100,000 brackets exhaust the
interpreter's stack (RecursionError) unless the depth is bounded before anything else
walks the value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.studio.models import Composition
from generation.registry import TECHNIQUES
from tests.chartbusters.hardening.routes import PATHS, World, build_world

pytestmark = pytest.mark.django_db

DEEP = 100_000
DEEP_BODIES = {
    "arrays": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    # Shallow enough for Python's parser, far deeper than any request of ours.
    "moderate": '{"a":' * 500 + "1" + "}" * 500,
}
BODY_ROUTES = {
    "api-tokens",
    "api-submission-disqualify",
    "api-studio-compositions",
    "api-studio-composition",
    "api-studio-composition-submit",
    "api-studio-jobs",
}
API_ROUTES = sorted(name for name in PATHS if name.startswith("api-") and name != "api-docs")


def client_as(world: World, actor: str) -> APIClient:
    client = APIClient()
    client.raise_request_exception = False  # a crash must show as the 500 it would be
    client.force_authenticate(world.users[actor])
    return client


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
def test_deeply_nested_json_is_refused_with_a_message_on_every_api_route(shape: str) -> None:
    world = build_world()
    body = DEEP_BODIES[shape]
    crashes, refused = [], set()
    for actor in ("alice", "staff"):
        client = client_as(world, actor)
        for name in API_ROUTES:
            path = PATHS[name](world, "live")
            for method in ("post", "put", "patch"):
                response = getattr(client, method)(path, body, content_type="application/json")
                if response.status_code >= 500:
                    crashes.append(f"{method.upper()} {path} as {actor}: {response.status_code}")
                elif response.status_code == 400 and "nested" in response.json()["detail"]:
                    refused.add(name)
    assert not crashes, "\n".join(crashes)
    # The routes that read a JSON body said why (a floor, so the test cannot pass by 403s).
    assert not BODY_ROUTES - refused, sorted(BODY_ROUTES - refused)


def test_deeply_nested_provenance_in_an_api_upload_is_refused_with_a_message() -> None:
    world = build_world()
    client = client_as(world, "bob")
    response = client.post(
        f"/api/challenges/{world.slug('live')}/submissions/",
        {
            "title": "Deep",
            "technique": "arcnn",
            "file": _midi_file(world),
            "provenance": DEEP_BODIES["objects"],
        },
        format="multipart",
    )
    assert response.status_code == 400, response.content[:300]
    assert "nested" in json.dumps(response.json())


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
def test_deeply_nested_provenance_in_the_entry_form_is_a_form_error(shape: str) -> None:
    world = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(world.users["bob"])
    response = client.post(
        f"/submissions/enter/{world.slug('live')}/",
        {
            "title": "Deep",
            "technique": "arcnn",
            "file": _midi_file(world),
            "provenance": DEEP_BODIES[shape],
        },
    )
    assert response.status_code == 200, response.status_code
    assert "nested" in response.content.decode()


def _midi_file(world: World) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("piece.mid", world.midi["live"], content_type="audio/midi")


def test_a_json_body_over_the_size_limit_is_refused_with_a_message(settings: Any) -> None:
    world = build_world()
    settings.API_JSON_MAX_BYTES = 1024
    body = json.dumps({"title": "x" * 2000})
    response = client_as(world, "alice").post(
        "/api/studio/compositions/", body, content_type="application/json"
    )
    assert response.status_code in (400, 413)
    assert "KB" in response.json()["detail"]


@pytest.mark.parametrize(
    ("technique", "param"),
    [
        ("arcnn", "max_notes_to_add"),  # an int parameter
        ("arcnn", "creative_risk"),  # a float parameter
        ("transformer", "input_duration"),
    ],
)
def test_a_400_digit_generation_parameter_is_refused_with_a_message(
    technique: str, param: str
) -> None:
    world = build_world()
    composition = Composition.objects.get(uuid=world.extra["composition"])
    body = json.dumps(
        {
            "input": str(composition.uuid),
            "technique": technique,
            "params": {param: int("9" * 400)},
        }
    )
    response = client_as(world, "alice").post(
        "/api/studio/jobs/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert answer["extra"]["field"] == param
    spec = next(p for p in TECHNIQUES[technique].params.params if p.name == param)
    assert spec.title in answer["detail"]  # named by its label
    assert len(answer["detail"]) < 200  # the number is not echoed back in full
