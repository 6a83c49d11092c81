"""Every route of the site, and a small world of objects to request them with.

``url_names()`` walks the URLconf, so the permission matrix and the CSRF test fail when a
route is added without being listed in ``PATHS`` (and in the matrix's expectations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from chartbusters.accounts.models import ApiToken, Role, User
from chartbusters.accounts.services import api_token_create
from chartbusters.challenges.models import Challenge, ChallengeStatus, LeaderboardVisibility
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.leaderboards.models import RescoreRun
from chartbusters.submissions.models import Submission
from tests.chartbusters.builders import enter, make_challenge, piece, report, score_with
from tests.chartbusters.conftest import make_user

ACTORS = ("anonymous", "alice", "bob", "judge", "host", "staff")
SCENARIOS = ("live", "hidden", "draft", "judging", "published")
# A score and a component value that appear nowhere else: where they must stay hidden,
# finding them in a response is a leak.
HIDDEN_SCORE = 87.6543
HIDDEN_SCORE_TEXT = "87.65"
HIDDEN_COMPONENT = 0.4321
HIDDEN_COMPONENT_TEXT = "0.432"


def url_names() -> set[str]:
    """Every named route outside the admin, as ``namespace:name``."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner == "admin":
                    continue
                walk(pattern.url_patterns, f"{inner}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"an unnamed route: {pattern.pattern}"
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


@dataclass
class World:
    users: dict[str, User]
    challenges: dict[str, Challenge]
    entries: dict[str, Submission]  # alice's entry in each scenario (none in the draft)
    midi: dict[str, bytes]  # the bytes of each of those entries
    token: ApiToken
    rescore: RescoreRun
    extra: dict[str, Any] = field(default_factory=dict)

    def slug(self, scenario: str) -> str:
        return self.challenges[scenario].slug

    def entry(self, scenario: str) -> str:
        return str(self.entries.get(scenario, self.entries["live"]).uuid)

    def finalist(self, scenario: str) -> str:
        """Alice's judging handle where she is a finalist; elsewhere one that is not."""
        return str(self.extra.get("finalists", {}).get(scenario, "no-such-finalist"))


def _ended(challenge: Challenge, status: str) -> Challenge:
    Challenge.objects.filter(pk=challenge.pk).update(
        ends_at=timezone.now() - timedelta(minutes=1), status=status
    )
    challenge.refresh_from_db()
    return challenge


def build_world() -> World:
    users = {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "judge": make_user("judy", Role.JUDGE),
        "host": make_user("hosty", Role.HOST),
        "staff": make_user("root"),
    }
    User.objects.filter(pk=users["staff"].pk).update(is_staff=True, is_superuser=True)
    users["staff"].refresh_from_db()
    hidden = {"leaderboard_visibility": LeaderboardVisibility.HIDDEN}
    challenges = {
        "live": make_challenge("live-one"),
        "hidden": make_challenge("hidden-one", **hidden),
        "draft": make_challenge("draft-one", status=ChallengeStatus.DRAFT),
        "judging": make_challenge(
            "judging-one", finalists_count=2, judge_weight=Decimal("0.5"), **hidden
        ),
        "published": make_challenge("published-one", **hidden),
    }
    challenges["judging"].judges.add(users["judge"])
    entries, midi = {}, {}
    for seed, scenario in enumerate(["live", "hidden", "judging", "published"]):
        midi[scenario] = piece(200 + seed)
        entry = enter(users["alice"], challenges[scenario], midi_bytes=midi[scenario])
        secret = HIDDEN_SCORE if scenario != "live" else 64.0
        marked = report(
            secret, realism=HIDDEN_COMPONENT, typicality=HIDDEN_COMPONENT, frechet=HIDDEN_COMPONENT
        )
        entries[scenario] = score_with(entry, marked)
        score_with(enter(users["bob"], challenges[scenario], seed=300 + seed), report(20.0))
    challenges["judging"] = _ended(challenges["judging"], ChallengeStatus.JUDGING)
    challenges["published"] = _ended(challenges["published"], ChallengeStatus.JUDGING)
    leaderboard_publish_results(challenge=challenges["published"])
    token, _ = api_token_create(user=users["alice"], name="laptop")
    rescore = RescoreRun.objects.create(challenge=challenges["live"], requested_by=users["host"])
    world = World(users, challenges, entries, midi, token, rescore)
    _add_finalists(world)
    _add_studio(world)
    return world


def _add_finalists(world: World) -> None:
    """The judging challenge's finalists get their handles, as on a judge's first visit."""
    from chartbusters.judging.handles import finalist_handles
    from chartbusters.judging.selectors import finalist_submissions

    challenge = world.challenges["judging"]
    rows = finalist_handles(challenge=challenge, entries=finalist_submissions(challenge=challenge))
    world.extra["finalists"] = {"judging": rows[world.entries["judging"].pk].handle}


def _add_studio(world: World) -> None:
    """Alice's composition and generation job, where the studio is installed."""
    try:
        from chartbusters.studio.models import GenerationJob
        from chartbusters.studio.services import (
            composition_create_from_upload,
            composition_store_audio,
        )
    except ImportError:
        return
    alice = world.users["alice"]
    composition, _ = composition_create_from_upload(user=alice, data=piece(400), title="Mine")
    composition_store_audio(composition_id=composition.pk, audio=b"OggS rendered audio")
    job = GenerationJob.objects.create(
        owner=alice, input=composition, technique="arcnn", params={}, seed=1
    )
    with composition.midi.open("rb") as handle:
        midi = handle.read()
    world.extra.update(composition=str(composition.uuid), job=str(job.uuid), composition_midi=midi)


Path = Callable[[World, str], str]


def _c(world: World) -> str:
    return str(world.extra.get("composition", "00000000-0000-0000-0000-000000000000"))


def _j(world: World) -> str:
    return str(world.extra.get("job", "00000000-0000-0000-0000-000000000000"))


# Each route's path in a scenario: w is the world, s the scenario.
PATHS: dict[str, Path] = {
    "core:home": lambda w, s: "/",
    "healthz": lambda w, s: "/healthz",
    "healthz-workers": lambda w, s: "/healthz/workers",
    "accounts:signup": lambda w, s: "/accounts/signup/",
    "accounts:signup_sent": lambda w, s: "/accounts/signup/sent/",
    "admin-login": lambda w, s: "/admin/login/",
    "accounts:confirm_email": lambda w, s: "/accounts/confirm/not-a-token/",
    "accounts:resend_confirmation": lambda w, s: "/accounts/confirm-again/",
    "accounts:logout_everywhere": lambda w, s: "/accounts/logout/everywhere/",
    "accounts:login": lambda w, s: "/accounts/login/",
    "accounts:logout": lambda w, s: "/accounts/logout/",
    "accounts:profile": lambda w, s: "/accounts/profile/",
    "accounts:token_create": lambda w, s: "/accounts/tokens/",
    "accounts:token_revoke": lambda w, s: f"/accounts/tokens/{w.token.pk}/revoke/",
    "accounts:password_change": lambda w, s: "/accounts/password/change/",
    "accounts:password_change_done": lambda w, s: "/accounts/password/change/done/",
    "accounts:password_reset": lambda w, s: "/accounts/password/reset/",
    "accounts:password_reset_done": lambda w, s: "/accounts/password/reset/sent/",
    "accounts:password_reset_confirm": lambda w, s: "/accounts/password/reset/MQ/not-a-token/",
    "accounts:password_reset_complete": lambda w, s: "/accounts/password/reset/done/",
    "favicon": lambda w, s: "/favicon.ico",
    "challenges:list": lambda w, s: "/challenges/",
    "challenges:detail": lambda w, s: f"/challenges/{w.slug(s)}/",
    "challenges:leaderboard": lambda w, s: f"/challenges/{w.slug(s)}/leaderboard/",
    "challenges:like": lambda w, s: f"/challenges/{w.slug(s)}/entries/{w.entry(s)}/like/",
    "submissions:mine": lambda w, s: "/submissions/",
    "submissions:detail": lambda w, s: f"/submissions/{w.entry(s)}/",
    "submissions:audio": lambda w, s: f"/submissions/{w.entry(s)}/audio.ogg",
    "submissions:midi": lambda w, s: f"/submissions/{w.entry(s)}/midi/",
    "submissions:create": lambda w, s: f"/submissions/enter/{w.slug(s)}/",
    "judging:index": lambda w, s: "/judging/",
    "judging:finalists": lambda w, s: f"/judging/{w.slug(s)}/",
    "studio:studio": lambda w, s: "/studio/",
    "studio:compositions": lambda w, s: "/studio/compositions/",
    "studio:composition": lambda w, s: f"/studio/compositions/{_c(w)}/",
    "studio:rename": lambda w, s: f"/studio/compositions/{_c(w)}/rename/",
    "studio:delete": lambda w, s: f"/studio/compositions/{_c(w)}/delete/",
    "studio:submit": lambda w, s: f"/studio/compositions/{_c(w)}/submit/",
    "api-schema": lambda w, s: "/api/schema/",
    "api-docs": lambda w, s: "/api/docs/",
    "api-me": lambda w, s: "/api/me/",
    "api-tokens": lambda w, s: "/api/tokens/",
    "api-token-revoke": lambda w, s: f"/api/tokens/{w.token.pk}/",
    "api-challenges": lambda w, s: "/api/challenges/",
    "api-challenge": lambda w, s: f"/api/challenges/{w.slug(s)}/",
    "api-submission-create": lambda w, s: f"/api/challenges/{w.slug(s)}/submissions/",
    "api-leaderboard": lambda w, s: f"/api/challenges/{w.slug(s)}/leaderboard/",
    "api-leaderboard-csv": lambda w, s: f"/api/challenges/{w.slug(s)}/leaderboard.csv",
    "api-rescore-start": lambda w, s: f"/api/challenges/{w.slug(s)}/rescore/",
    "api-rescore": lambda w, s: f"/api/rescores/{w.rescore.pk}/",
    "api-publish-results": lambda w, s: f"/api/challenges/{w.slug(s)}/publish/",
    "api-results": lambda w, s: f"/api/challenges/{w.slug(s)}/results/",
    "api-peoples-choice": lambda w, s: f"/api/challenges/{w.slug(s)}/peoples-choice/",
    "api-listen": lambda w, s: f"/api/challenges/{w.slug(s)}/entries/{w.entry(s)}/midi/",
    "api-like": lambda w, s: f"/api/challenges/{w.slug(s)}/entries/{w.entry(s)}/like/",
    "api-my-submissions": lambda w, s: "/api/submissions/",
    "api-submission": lambda w, s: f"/api/submissions/{w.entry(s)}/",
    "api-submission-midi": lambda w, s: f"/api/submissions/{w.entry(s)}/midi/",
    "api-submission-disqualify": lambda w, s: f"/api/submissions/{w.entry(s)}/disqualify/",
    "api-submission-restore": lambda w, s: f"/api/submissions/{w.entry(s)}/restore/",
    "api-finalists": lambda w, s: f"/api/challenges/{w.slug(s)}/finalists/",
    "api-finalist-midi": lambda w, s: (
        f"/api/challenges/{w.slug(s)}/finalists/{w.finalist(s)}/midi/"
    ),
    "api-finalist-audio": lambda w, s: (
        f"/api/challenges/{w.slug(s)}/finalists/{w.finalist(s)}/audio/"
    ),
    "api-finalist-score": lambda w, s: (
        f"/api/challenges/{w.slug(s)}/finalists/{w.finalist(s)}/score/"
    ),
    "api-studio-samples": lambda w, s: "/api/studio/samples/",
    "api-studio-sample-midi": lambda w, s: "/api/studio/samples/new-world/midi",
    "api-studio-sample-audio": lambda w, s: "/api/studio/samples/new-world/audio",
    "api-studio-techniques": lambda w, s: "/api/studio/techniques/",
    "api-labels": lambda w, s: "/api/labels/",
    "api-studio-compositions": lambda w, s: "/api/studio/compositions/",
    "api-studio-composition": lambda w, s: f"/api/studio/compositions/{_c(w)}/",
    "api-studio-composition-midi": lambda w, s: f"/api/studio/compositions/{_c(w)}/midi",
    "api-studio-composition-audio": lambda w, s: f"/api/studio/compositions/{_c(w)}/audio",
    "api-studio-composition-submit": lambda w, s: f"/api/studio/compositions/{_c(w)}/submit/",
    "api-studio-composition-instruments": (
        lambda w, s: f"/api/studio/compositions/{_c(w)}/instruments/"
    ),
    "api-studio-jobs": lambda w, s: "/api/studio/jobs/",
    "api-studio-job": lambda w, s: f"/api/studio/jobs/{_j(w)}/",
    "api-studio-job-retry": lambda w, s: f"/api/studio/jobs/{_j(w)}/retry/",
}

# Routes that only take a POST (a form's action), and the pages everyone may GET.
POST_ONLY = {
    "accounts:logout",
    "accounts:token_create",
    "accounts:token_revoke",
    "challenges:like",
    "studio:rename",
    "studio:delete",
    "studio:submit",
}
PAGES = sorted(name for name in PATHS if not name.startswith("api-") and name not in POST_ONLY)
ADMIN_PAGES = [
    "/admin/",
    "/admin/challenges/challenge/",
    "/admin/submissions/submission/",
    "/admin/accounts/user/",
]
