"""Who may see a composition or a job: its owner, nobody else.

Everyone else gets a 404, as if it did not exist (no way to probe other people's
compositions or download their files); hosts have no special rights in the studio.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from chartbusters.challenges.access import Viewer
from chartbusters.core.errors import ApplicationError
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.submissions.models import Submission


def _uuid(value: UUID | str, what: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ApplicationError(f"No such {what}.", code="not_found", status=404) from None


def submissions_prefetch(prefix: str = "") -> Prefetch[str, QuerySet[Submission], str]:
    """The entries made from compositions, with their challenge, in one query."""
    entries = Submission.objects.select_related("challenge").only(
        "uuid", "state", "created_at", "challenge__slug"
    )
    return Prefetch(f"{prefix}submissions", queryset=entries.order_by("-created_at"))


def access_composition(user: Viewer, composition_id: UUID | str) -> Composition:
    key = _uuid(composition_id, "composition")
    composition = (
        Composition.objects.filter(uuid=key, owner_id=user.pk)
        .prefetch_related(submissions_prefetch())
        .first()
        if user.is_authenticated
        else None
    )
    if composition is None:
        raise ApplicationError("No such composition.", code="not_found", status=404)
    return composition


def access_job(user: Viewer, job_id: UUID | str) -> GenerationJob:
    key = _uuid(job_id, "job")
    job = (
        GenerationJob.objects.filter(uuid=key, owner_id=user.pk)
        .select_related("input", "result")
        .prefetch_related(submissions_prefetch("result__"))
        .first()
        if user.is_authenticated
        else None
    )
    if job is None:
        raise ApplicationError("No such job.", code="not_found", status=404)
    return job
