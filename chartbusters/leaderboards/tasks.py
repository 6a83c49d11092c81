from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse

from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.rescore import RESCORE_CHALLENGE, rescore_run_continue
from chartbusters.leaderboards.services import NOTIFY_RESULTS_PUBLISHED
from chartbusters.submissions.models import Submission
from chartbusters.submissions.text import one_line


@shared_task(name=NOTIFY_RESULTS_PUBLISHED)
def notify_results_published(challenge_id: int) -> int:
    """Email every participant of the challenge that the results are out."""
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None or not challenge.results_published:
        return 0
    emails = (
        Submission.objects.filter(challenge=challenge)
        .exclude(participant__email="")
        .values_list("participant__email", flat=True)
        .distinct()
    )
    link = settings.SITE_URL.rstrip("/") + reverse("challenges:detail", args=[challenge.slug])
    subject = one_line(f"Results of {challenge} are out")  # a header: never a line break
    body = f"The final ranking of {challenge} is published:\n\n{link}\n"
    return send_mass_mail([(subject, body, None, [email]) for email in emails])


@shared_task(name=RESCORE_CHALLENGE, acks_late=True)
def rescore_challenge(run_id: int) -> str:
    """Rescore a challenge in slices that fit the time limit; each slice queues the next."""
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    try:
        done = rescore_run_continue(run_id=run_id, budget_seconds=budget)
    except SoftTimeLimitExceeded:
        done = False
    if not done:
        rescore_challenge.delay(run_id)
    return "done" if done else "continued"
