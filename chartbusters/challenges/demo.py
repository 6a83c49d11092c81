"""Demo content for ``manage.py load_demo``: an open and a finished challenge with entries.

The entries go through the real pipeline: submitted with ``submission_create`` (checks,
quotas, fingerprints) and scored by the scoring task's own function in this process, with
the real judge. Without a built evaluation profile nothing can be scored, so the finished
challenge is then left out (and the open one has no entries); the command says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ChallengeStatus, LeaderboardVisibility
from chartbusters.challenges.services import challenge_refresh_status
from chartbusters.evaluator import scoring
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.judging.selectors import finalist_submissions
from chartbusters.judging.services import judge_score_set
from chartbusters.submissions.models import Submission
from chartbusters.submissions.services import submission_create
from chartbusters.submissions.tasks import score_submission
from music.midi_io import score_to_midi
from music.score import Note, Score, Track

BACH = """Bach wrote 371 chorales; write the 372nd.

## The brief
Four voices (soprano, alto, tenor, bass), about **8 bars**, in the style of the chorales.
Start from a sample melody in the studio and let the AR-CNN rewrite it, or upload your own.

## How entries are judged
Every entry is scored against J. S. Bach's chorales: a critic ensemble's realism, how
typical its musical features are, and its distance to the reference. Copies of chorales,
of sample melodies or of other people's entries stay off the ranking. The top three go to
the judges, who rate Originality, Balance and Emotional from 1 to 5.
"""

CHRISTMAS = """A chorale for the Christmas season, in Bach's manner.

## How entries are judged
Against a judge the host built from their own reference music: Bach's chorales for
Christmas (the Christmas Oratorio and the cantatas from Christmas to Epiphany). A set
this small makes a rougher judge than the whole chorale corpus: see the note beside
"Judged against".
"""

SPIN = """Spin a sample melody into something new with any generator.

This challenge is over: see the final results below.
"""

MAJOR = (0, 2, 4, 5, 7, 9, 11)


def demo_piece(seed: int, bars: int = 8) -> bytes:
    """A small four-voice piece in C major: diatonic steps, chord tones on downbeats."""
    rng = random.Random(seed)
    resolution, beat = 480, 480
    ranges = [(60, 79), (55, 72), (48, 67), (36, 55)]
    tracks = []
    for voice, (low, high) in enumerate(ranges):
        scale = [p for p in range(low, high + 1) if p % 12 in MAJOR]
        index = rng.randrange(len(scale))
        notes, tick = [], 0
        while tick < bars * 4 * beat:
            length = rng.choice([beat, beat, beat * 2] if voice else [beat // 2, beat, beat])
            index = min(len(scale) - 1, max(0, index + rng.choice([-2, -1, -1, 1, 1, 2])))
            notes.append(Note(tick, scale[index], length, 72 + rng.randrange(16)))
            tick += length
        tracks.append(Track(notes, program=0, name=("Soprano", "Alto", "Tenor", "Bass")[voice]))
    return score_to_midi(Score(tracks=tracks, resolution=resolution))


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _challenge(slug: str, **fields: object) -> tuple[Challenge, bool]:
    existing = Challenge.objects.filter(slug=slug).first()
    if existing is not None:
        return existing, False
    challenge = Challenge(slug=slug, **fields)
    challenge.full_clean()
    challenge.save()
    return challenge, True


def _enter(user: User, challenge: Challenge, title: str, seed: int, when: datetime) -> Submission:
    entry = submission_create(
        user=user,
        challenge=challenge,
        title=title,
        description="A demo entry.",
        technique="upload",
        midi_bytes=demo_piece(seed),
        now=when,
    )
    score_submission.run(entry.pk)  # the worker's own code, run here
    entry.refresh_from_db()
    return entry


def load_demo_challenges(*, host: User, judge: User, participants: list[User]) -> DemoReport:
    report = DemoReport()
    now = timezone.now()
    can_score = "bach-chorales" in scoring.available_profiles()
    bach, created = _challenge(
        "bach-to-the-future",
        title="Bach to the Future",
        theme="Write the chorale Bach forgot",
        description=BACH,
        starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(days=28),
        status=ChallengeStatus.OPEN,
        evaluation_profile="bach-chorales",
        finalists_count=3,
        created_by=host,
    )
    if created:
        bach.judges.add(judge)
        if can_score:
            _enter(participants[1], bach, "Chorale for a rainy Tuesday", 11, now)
    report.say(f"Open challenge: {bach.title} (/challenges/{bach.slug}/).")
    _christmas(host, participants[0], now, report)
    if not can_score:
        report.say(
            "No evaluation profile is built, so no entry could be scored: the finished "
            "challenge was left out. Build one (python -m evaluation build-profile "
            "bach-chorales) and run load_demo again."
        )
        return report
    spin, created = _challenge(
        "spin-the-model",
        title="Spin the Model",
        theme="One sample melody, any generator",
        description=SPIN,
        starts_at=now - timedelta(days=40),
        ends_at=now - timedelta(days=10),
        status=ChallengeStatus.OPEN,  # entered in the past, then the clock closes it
        leaderboard_visibility=LeaderboardVisibility.HIDDEN,
        finalists_count=2,
        judge_weight=Decimal("0.40"),
        created_by=host,
    )
    if created:
        spin.judges.add(judge)
        when = now - timedelta(days=20)
        for i, user in enumerate(participants):
            _enter(user, spin, f"{user.username.title()}'s spin", 100 + i, when)
            _enter(user, spin, f"{user.username.title()}'s second spin", 200 + i, when)
        spin = challenge_refresh_status(challenge=spin, now=now)  # now judging
        for finalist, marks in zip(
            finalist_submissions(challenge=spin), [(4, 4, 3), (5, 3, 4)], strict=False
        ):
            judge_score_set(judge=judge, challenge=spin, submission=finalist, originality=marks[0],
                            balance=marks[1], emotional=marks[2])  # fmt: skip
        leaderboard_publish_results(challenge=spin, now=now)
    report.say(
        f"Finished challenge with published results: {spin.title} (/challenges/{spin.slug}/)."
    )
    return report


def _christmas(host: User, participant: User, now: datetime, report: DemoReport) -> None:
    """The challenge judged by the demo's host-built judge, once it is built (it takes
    minutes: ``manage.py build_demo_judge``, see ``references.demo``)."""
    from chartbusters.references.demo import demo_judge

    built = demo_judge()
    if built is None:
        report.say(
            "No host-built judge yet, so the Christmas challenge is left out: run "
            "manage.py build_demo_judge (about 5 minutes on two cores), then load_demo again."
        )
        return
    christmas, created = _challenge(
        "christmas-chorales",
        title="Christmas Chorales",
        theme="A chorale for the Christmas season",
        description=CHRISTMAS,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=21),
        status=ChallengeStatus.OPEN,
        evaluation_profile=built.profile_name,
        use_judge_below_targets=not built.passes_validity,
        created_by=host,
    )
    if created:
        _enter(participant, christmas, "Midwinter chorale", 31, now)
    report.say(
        f"Open challenge judged by a host-built judge ({built.profile_name}): "
        f"{christmas.title} (/challenges/{christmas.slug}/)."
    )
