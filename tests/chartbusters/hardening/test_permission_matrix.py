"""The permission matrix: every route x every actor x challenge state and board visibility.

Actors: anonymous, alice (the owner of every entry and composition here), bob (another
participant), a judge (of the judging challenge only), a host and staff (a superuser).
Scenarios: a live board, a hidden board, a draft, a challenge in judging (hidden board),
and a finished one whose hidden board was published.

Each route's rule gives the status every actor must get; on top, every response is
searched for what must not leak: a hidden score or component, another person's MIDI
file, a finalist's name shown to a judge. A route added to the URLconf without a rule
here fails ``test_every_route_has_a_rule``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.chartbusters.hardening.routes import (
    ACTORS,
    HIDDEN_COMPONENT_TEXT,
    HIDDEN_SCORE_TEXT,
    PATHS,
    SCENARIOS,
    World,
    build_world,
    url_names,
)

pytestmark = pytest.mark.django_db

LOGIN = "login"  # a redirect to the login page
AUDIO = "audio"  # 200, or 503 where no synthesizer is installed: the same for everyone
HEALTH = "health"  # 200, or 503 while a queue's backlog is unconsumed: the same for everyone
NOT_RENDERED = "not rendered"  # 200, or 404 while the audio is not rendered
OK = "ok"  # not refused: done, or refused for the request's content (400/409), not the actor
REFUSALS = {401, 403, 404, 405}
HOSTS = {"host", "staff"}
Expect = Callable[[str, str], int | str]  # (actor, scenario) -> status


@dataclass(frozen=True)
class Rule:
    expect: Expect
    method: str = "get"
    scenarios: tuple[str, ...] = ("live",)
    data: dict[str, Any] | None = None
    format: str = "json"


def everyone(status: int | str = 200) -> Expect:
    return lambda actor, scenario: status


def members(status: int | str = 200, *, api: bool = False) -> Expect:
    anonymous = 401 if api else LOGIN
    return lambda actor, scenario: anonymous if actor == "anonymous" else status


def only(allowed: set[str], status: int | str = 200, other: int = 404, *, api: bool) -> Expect:
    anonymous = 401 if api else LOGIN

    def expect(actor: str, scenario: str) -> int | str:
        if actor == "anonymous":
            return anonymous
        return status if actor in allowed else other

    return expect


def anonymous_only(actor: str, scenario: str) -> int | str:
    return 200 if actor == "anonymous" else 302


def draft_for_hosts(status: int | str = 200, *, api: bool = False) -> Expect:
    def expect(actor: str, scenario: str) -> int | str:
        if scenario == "draft" and actor not in HOSTS:
            return 404
        return status

    return expect


def challenge_page(status: int | str = 200) -> Expect:
    def expect(actor: str, scenario: str) -> int | str:
        if actor == "anonymous":
            return LOGIN
        return draft_for_hosts(status)(actor, scenario)

    return expect


def board(actor: str, scenario: str) -> int | str:
    """A board: public when live or published, hosts only when hidden, drafts 404."""
    if actor in HOSTS:
        return 200
    if scenario == "draft":
        return 404
    return 403 if scenario in ("hidden", "judging") else 200


def host_action(status: int | str = OK) -> Expect:
    return lambda actor, scenario: {"anonymous": 401}.get(actor, status if actor in HOSTS else 403)


def owner_and_hosts(*, api: bool) -> Expect:
    return only({"alice", *HOSTS}, api=api)


def judge_of_judging(status: int | str = 200) -> Expect:
    def expect(actor: str, scenario: str) -> int | str:
        if actor == "anonymous":
            return 401
        return status if (actor, scenario) == ("judge", "judging") else 404

    return expect


def listening(actor: str, scenario: str) -> int | str:
    """Anyone listens to entries on a visible board; nobody on a hidden one (hosts
    download entries through the submission endpoints)."""
    return 200 if scenario in ("live", "published") or actor in HOSTS else 403


def entry_audio(actor: str, scenario: str) -> int | str:
    """Who may see an entry may hear it (owner, hosts, a visible board); everyone else
    gets a 404, judges included (they listen through their judging handle). The world's
    entries have no rendered audio, so the allowed get a 404 too: the leak search is
    what this rule adds."""
    allowed = actor in {"alice", *HOSTS} or scenario in ("live", "published")
    return NOT_RENDERED if allowed else 404


def liking(actor: str, scenario: str) -> int | str:
    if actor == "anonymous":
        return 401
    if scenario in ("hidden", "judging") and actor not in HOSTS:
        return 403
    return 400 if actor == "alice" else OK  # nobody likes their own entry


def submitting(actor: str, scenario: str) -> int | str:
    if actor == "anonymous":
        return 401
    return draft_for_hosts(400)(actor, scenario)  # an empty form: refused for its content


ENTRY_SCENARIOS = ("live", "hidden", "judging", "published")
RULES: dict[str, Rule] = {
    "core:home": Rule(everyone()),
    "healthz": Rule(everyone()),
    "healthz-workers": Rule(everyone(HEALTH)),
    "accounts:signup": Rule(anonymous_only),
    "accounts:signup_sent": Rule(everyone()),
    "accounts:confirm_email": Rule(everyone(400)),  # the world's link is not a valid one
    "accounts:resend_confirmation": Rule(members(302), method="post"),
    "accounts:logout_everywhere": Rule(members(302), method="post"),
    "admin-login": Rule(lambda actor, scenario: 302 if actor in HOSTS else 200),
    "accounts:login": Rule(anonymous_only),
    "accounts:logout": Rule(everyone(405)),
    "accounts:profile": Rule(members()),
    "accounts:token_create": Rule(members(302), method="post"),
    "accounts:token_revoke": Rule(members(302), method="post"),
    "accounts:password_change": Rule(members()),
    "accounts:password_change_done": Rule(members()),
    "accounts:password_reset": Rule(everyone()),
    "accounts:password_reset_done": Rule(everyone()),
    "accounts:password_reset_confirm": Rule(everyone()),
    "accounts:password_reset_complete": Rule(everyone()),
    "favicon": Rule(everyone(302)),
    "challenges:list": Rule(everyone()),
    "challenges:detail": Rule(draft_for_hosts(), scenarios=SCENARIOS),
    "challenges:leaderboard": Rule(board, scenarios=SCENARIOS),
    "challenges:like": Rule(
        lambda a, s: (
            LOGIN if a == "anonymous" else (403 if (s, a not in HOSTS) == ("hidden", True) else 302)
        ),
        method="post",
        scenarios=("live", "hidden"),
    ),
    "submissions:mine": Rule(members()),
    "submissions:detail": Rule(owner_and_hosts(api=False), scenarios=ENTRY_SCENARIOS),
    "submissions:audio": Rule(entry_audio, scenarios=ENTRY_SCENARIOS),
    "submissions:midi": Rule(owner_and_hosts(api=False), scenarios=ENTRY_SCENARIOS),
    "submissions:create": Rule(challenge_page(), scenarios=SCENARIOS),
    "judging:index": Rule(members()),  # lists only the viewer's own judging
    "judging:finalists": Rule(
        lambda a, s: (
            LOGIN if a == "anonymous" else (200 if (a, s) == ("judge", "judging") else 404)
        ),
        scenarios=("judging", "live", "draft"),
    ),
    "studio:studio": Rule(members()),
    "studio:compositions": Rule(members()),
    "studio:composition": Rule(only({"alice"}, api=False)),
    "studio:rename": Rule(only({"alice"}, OK, api=False), method="post", data={"title": "New"}),
    "studio:delete": Rule(only({"alice"}, OK, api=False), method="post"),
    "studio:submit": Rule(only({"alice"}, OK, api=False), method="post"),
    "api-schema": Rule(everyone()),
    "api-docs": Rule(everyone()),
    "api-me": Rule(members(api=True)),
    "api-tokens": Rule(members(api=True)),
    "api-token-revoke": Rule(only({"alice"}, OK, api=True), method="delete"),
    "api-challenges": Rule(everyone()),
    "api-challenge": Rule(draft_for_hosts(), scenarios=SCENARIOS),
    "api-submission-create": Rule(
        submitting, method="post", scenarios=("live", "draft"), format="multipart"
    ),
    "api-leaderboard": Rule(board, scenarios=SCENARIOS),
    "api-leaderboard-csv": Rule(host_action(200), scenarios=SCENARIOS),
    "api-rescore-start": Rule(host_action(), method="post"),
    "api-rescore": Rule(host_action(200)),
    "api-publish-results": Rule(host_action(), method="post", scenarios=("live", "judging")),
    "api-results": Rule(lambda a, s: 200 if s == "published" else 404, scenarios=SCENARIOS),
    "api-peoples-choice": Rule(board, scenarios=SCENARIOS),
    "api-listen": Rule(listening, scenarios=ENTRY_SCENARIOS),
    "api-like": Rule(liking, method="post", scenarios=("live", "hidden", "judging")),
    "api-my-submissions": Rule(members(api=True)),
    "api-submission": Rule(owner_and_hosts(api=True), scenarios=ENTRY_SCENARIOS),
    "api-submission-midi": Rule(owner_and_hosts(api=True), scenarios=ENTRY_SCENARIOS),
    "api-submission-disqualify": Rule(
        only(HOSTS, OK, api=True), method="post", data={"reason": "Test."}
    ),
    "api-submission-restore": Rule(only(HOSTS, OK, api=True), method="post"),
    "api-finalists": Rule(judge_of_judging(), scenarios=("judging", "live", "hidden")),
    "api-finalist-midi": Rule(judge_of_judging(), scenarios=("judging", "live")),
    "api-finalist-audio": Rule(judge_of_judging(NOT_RENDERED), scenarios=("judging", "live")),
    "api-finalist-score": Rule(
        judge_of_judging(OK),
        method="put",
        scenarios=("judging", "live"),
        data={"originality": 4, "balance": 3, "emotional": 5},
    ),
    "api-studio-samples": Rule(everyone()),
    "api-studio-sample-midi": Rule(everyone()),
    "api-studio-sample-audio": Rule(everyone(AUDIO)),
    "api-studio-techniques": Rule(everyone()),
    "api-labels": Rule(everyone()),
    "api-studio-compositions": Rule(members(api=True)),
    "api-studio-composition": Rule(only({"alice"}, api=True)),
    "api-studio-composition-midi": Rule(only({"alice"}, api=True)),
    "api-studio-composition-audio": Rule(only({"alice"}, OK, api=True)),
    "api-studio-composition-submit": Rule(only({"alice"}, OK, api=True), method="post"),
    "api-studio-composition-instruments": Rule(
        only({"alice"}, OK, api=True), method="put", data={"programs": [40]}
    ),
    "api-studio-jobs": Rule(members(OK, api=True), method="post"),
    "api-studio-job": Rule(only({"alice"}, api=True)),
    "api-studio-job-retry": Rule(only({"alice"}, OK, api=True), method="post"),
}
# Allowed actors go last: their requests may change what the others would see.
ORDER = ("anonymous", "bob", "judge", "alice", "host", "staff")
assert set(ORDER) == set(ACTORS)


def test_every_route_has_a_rule() -> None:
    routes = url_names()
    assert routes - set(RULES) == set(), "routes without a rule in the permission matrix"
    assert routes - set(PATHS) == set(), "routes without a path in routes.PATHS"


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def client_for(world: World, actor: str, api: bool) -> Any:
    if api:
        api_client = APIClient()
        if actor != "anonymous":
            api_client.force_authenticate(world.users[actor])
        return api_client
    client = Client()
    if actor != "anonymous":
        client.force_login(world.users[actor])
    return client


def request(
    world: World, name: str, rule: Rule, actor: str, scenario: str, client: Any = None
) -> Any:
    api = name.startswith("api-")
    client = client or client_for(world, actor, api)
    path = PATHS[name](world, scenario)
    send = getattr(client, rule.method)
    if api and rule.method != "get":
        return send(path, rule.data or {}, format=rule.format)
    return send(path, rule.data or {}) if rule.method != "get" else send(path)


def status_matches(response: Any, expected: int | str) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and "/accounts/login/" in response["Location"]
    if expected == NOT_RENDERED:
        return response.status_code in (200, 404)
    if expected in (AUDIO, HEALTH):
        return response.status_code in (200, 503)
    if expected == OK:
        return response.status_code not in REFUSALS and response.status_code < 500
    return bool(response.status_code == expected)


def leaks(world: World, name: str, actor: str, scenario: str, body: bytes) -> list[str]:
    found = []
    sees_hidden = actor in HOSTS or scenario not in ("hidden", "judging")
    if not sees_hidden:
        for secret in (HIDDEN_SCORE_TEXT, HIDDEN_COMPONENT_TEXT):
            if secret.encode() in body:
                found.append(f"hidden score {secret}")
    # Judges too: they get a finalist's MIDI rewritten without its metadata, never the file.
    private = {"hidden": world.midi["hidden"], "judging": world.midi["judging"]}
    if actor not in {"alice", *HOSTS}:
        found += [f"alice's {s} MIDI file" for s, data in private.items() if data in body]
    composition = world.extra.get("composition_midi")
    if composition and actor != "alice" and composition in body:
        found.append("alice's composition")
    judging_route = name.startswith(("api-finalist", "judging:"))
    if actor == "judge" and judging_route and b"alice" in body:
        found.append("a finalist's name shown to a judge")
    if actor == "judge" and judging_route and world.entry("judging").encode() in body:
        found.append("a finalist's public id shown to a judge")
    return found


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, media_root: Path) -> None:
    """The world's files stay where the module's world put them."""
    settings.MEDIA_ROOT = media_root


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, media_root: Path) -> Iterator[World]:
    """One world for the module, rolled back at its end; each test runs in a savepoint
    of it, so what one route's requests change is undone before the next route."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=fast):
            built = build_world()
        yield built
        transaction.set_rollback(True)


# Rules may be written before their route lands; only routes that exist are requested.
@pytest.mark.parametrize("name", sorted(set(RULES) & url_names()))
def test_the_permission_matrix(name: str, world: World) -> None:
    rule = RULES[name]
    problems = []
    for scenario in rule.scenarios:
        for actor in ORDER:
            response = request(world, name, rule, actor, scenario)
            expected = rule.expect(actor, scenario)
            if not status_matches(response, expected):
                problems.append(f"{actor} in {scenario}: {response.status_code}, not {expected}")
            problems += [
                f"{actor} in {scenario}: {leak}"
                for leak in leaks(world, name, actor, scenario, body_of(response))
            ]
    assert not problems, f"{rule.method.upper()} {name}:\n" + "\n".join(problems)


# Pages served from the cache (chartbusters.core.pagecache) until their board changes.
CACHED_ROUTES = ("challenges:detail", "challenges:leaderboard", "api-leaderboard",
                 "api-peoples-choice")  # fmt: skip


@pytest.mark.parametrize("name", CACHED_ROUTES)
def test_the_permission_matrix_on_cached_pages(name: str, world: World) -> None:
    """The same rules when every page is already in the cache: each actor (hosts first,
    whose pages show hidden scores) has asked for the page twice before the checked
    request, which must then be answered from the cache wherever it may be seen."""
    rule = RULES[name]
    problems = []
    for scenario in rule.scenarios:
        clients = {actor: client_for(world, actor, name.startswith("api-")) for actor in ORDER}
        for actor in reversed(ORDER):
            for _ in range(2):  # the first may set a CSRF cookie, and is then not stored
                request(world, name, rule, actor, scenario, clients[actor])
        for actor in ORDER:
            response = request(world, name, rule, actor, scenario, clients[actor])
            expected = rule.expect(actor, scenario)
            if not status_matches(response, expected):
                problems.append(f"{actor} in {scenario}: {response.status_code}, not {expected}")
            if response.status_code == 200 and response.get("X-Page-Cache") != "hit":
                problems.append(f"{actor} in {scenario}: not served from the cache")
            problems += [
                f"{actor} in {scenario}: {leak}"
                for leak in leaks(world, name, actor, scenario, body_of(response))
            ]
    assert not problems, f"cached {name}:\n" + "\n".join(problems)
