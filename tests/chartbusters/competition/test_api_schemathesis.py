"""Property-based runs of the competition API against its own OpenAPI schema.

Schemathesis loads ``/api/schema/`` from the Django app (in process, over WSGI) and
generates requests for each operation from the schema; every response must be free of
server errors and conform to the schema (status code, content type, body). Path
parameters are pinned to real objects (the challenge, an entry) so that requests reach
the views' logic instead of stopping at a 404; everything else is generated. Runs are
derandomised and bounded, so the file takes seconds and fails the same way every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chartbusters.accounts.models import User
from chartbusters.accounts.services import api_token_create
from chartbusters.challenges.models import Challenge, LeaderboardVisibility
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import make_challenge, scored_entry

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
COMPETITION_PATHS = r"^/api/(challenges|submissions|rescores)"
EXAMPLES = 8


@pytest.fixture
def wsgi_app(db: None, settings: Any) -> Iterator[WSGIHandler]:
    """The Django app as a WSGI server runs it, but keeping the test's connection open
    (as Django's test client does): its transaction holds the test's data."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app: WSGIHandler) -> BaseSchema:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    return schema.include(path_regex=COMPETITION_PATHS)


@pytest.fixture
def world(alice: User, bob: User, host: User) -> dict[str, Any]:
    """A live board with entries by alice and bob; a hidden board with one of alice's."""
    challenge = make_challenge(total_quota=500, daily_quota=500)
    mine = scored_entry(alice, challenge, 61.5, seed=1, title="Alice's aria")
    theirs = scored_entry(bob, challenge, 72.0, seed=2, title="Bob's bourrée")
    hidden = make_challenge("hidden-gems", leaderboard_visibility=LeaderboardVisibility.HIDDEN)
    secret = scored_entry(alice, hidden, 50.0, seed=3)
    return {"challenge": challenge, "mine": mine, "theirs": theirs, "hidden": hidden,
            "secret": secret}  # fmt: skip


def token_for(user: User) -> dict[str, str]:
    _, key = api_token_create(user=user, name="schemathesis")
    return {"Authorization": f"Token {key}"}


def operations(schema: BaseSchema, method: str) -> list[APIOperation]:
    found = [
        result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and result.ok().method.upper() == method
    ]
    assert found, f"no {method} operation in the schema"
    return found


def pinned(operation: APIOperation, values: dict[str, str]) -> dict[str, str]:
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in values.items() if name in names}


def run(operation: APIOperation, path: dict[str, str], headers: dict[str, str]) -> None:
    """Up to EXAMPLES generated requests to one operation; each must pass CHECKS."""

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=pinned(operation, path)))
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def run_all(schema: BaseSchema, method: str, path: Callable[[APIOperation], dict[str, str]],
            headers: dict[str, str]) -> int:  # fmt: skip
    ran = 0
    for operation in operations(schema, method):
        run(operation, path(operation), headers)
        ran += 1
    return ran


def real_objects(challenge: Challenge, entry: Submission) -> dict[str, str]:
    return {"slug": challenge.slug, "submission_id": str(entry.uuid)}


def test_every_get_conforms_for_anonymous_visitors(
    api_schema: BaseSchema, world: dict[str, Any]
) -> None:
    objects = real_objects(world["challenge"], world["theirs"])
    assert run_all(api_schema, "GET", lambda op: objects, {}) >= 8


def test_every_get_conforms_for_a_participant(
    api_schema: BaseSchema, world: dict[str, Any], alice: User
) -> None:
    objects = real_objects(world["challenge"], world["mine"])
    assert run_all(api_schema, "GET", lambda op: objects, token_for(alice)) >= 8


def test_a_hidden_board_answers_in_the_documented_shape(
    api_schema: BaseSchema, world: dict[str, Any], alice: User
) -> None:
    objects = real_objects(world["hidden"], world["secret"])
    assert run_all(api_schema, "GET", lambda op: objects, token_for(alice)) >= 8


def test_every_get_conforms_for_a_host(
    api_schema: BaseSchema, world: dict[str, Any], host: User
) -> None:
    objects = real_objects(world["challenge"], world["mine"])
    assert run_all(api_schema, "GET", lambda op: objects, token_for(host)) >= 8


def test_submitting_liking_and_host_actions_conform(
    api_schema: BaseSchema, world: dict[str, Any], bob: User, host: User
) -> None:
    """The writes: submit (multipart), like, and the host's moderation and publishing."""
    objects = real_objects(world["challenge"], world["mine"])
    writes = operations(api_schema, "POST")
    participant = [op for op in writes if "/submissions/" in op.path or "like" in op.path]
    for operation in participant:
        run(operation, objects, token_for(bob))
    for operation in writes:
        run(operation, objects, token_for(host))
    assert Submission.objects.filter(pk=world["mine"].pk).exists()


# ----- what the runs found ---------------------------------------------------------------


def test_the_schema_documents_the_error_shape_on_every_operation(
    api_schema: BaseSchema,
) -> None:
    """Found by the runs: 4xx answers were undocumented (ST103)."""
    for operation in operations(api_schema, "GET") + operations(api_schema, "POST"):
        for status in ("400", "401", "403", "404", "429"):
            body = operation.definition.raw["responses"][status]["content"]["application/json"]
            assert body["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_schema_documents_paginated_lists_as_pages(api_schema: BaseSchema) -> None:
    """Found by the runs: paginated answers were documented as plain arrays (ST108)."""
    paged = {"/api/challenges/{slug}/leaderboard/", "/api/challenges/{slug}/results/",
             "/api/challenges/{slug}/peoples-choice/", "/api/submissions/"}  # fmt: skip
    for operation in operations(api_schema, "GET"):
        if operation.path in paged:
            schema = operation.definition.raw["responses"]["200"]["content"]["application/json"]
            assert "$ref" in schema["schema"], operation.path
            name = schema["schema"]["$ref"].rsplit("/", 1)[1]
            page = api_schema.raw_schema["components"]["schemas"][name]
            assert set(page["properties"]) == {"count", "next", "previous", "results"}
