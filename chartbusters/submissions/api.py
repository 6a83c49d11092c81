from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge, require_host, scores_visible
from chartbusters.challenges.models import Technique
from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.core.openapi import paginated
from chartbusters.core.parsers import BoundedJSONField
from chartbusters.evaluator.privacy import owner_details, owner_flags, owner_text
from chartbusters.submissions.access import (
    SubmissionAccess,
    access_submission,
    access_submission_as_host,
)
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import Verification, board_hold
from chartbusters.submissions.selectors import submission_list_for_participant
from chartbusters.submissions.services import (
    submission_create,
    submission_disqualify,
    submission_restore,
)
from chartbusters.submissions.text import validate_title
from music.validate import Limits

MAX_UPLOAD_BYTES = Limits().max_bytes


class SubmissionOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="uuid")
    challenge = serializers.SlugField(source="challenge.slug")
    title = serializers.CharField()
    description = serializers.CharField()
    technique = serializers.CharField()
    state = serializers.CharField(
        help_text="received, queued, evaluating, scored, rejected, failed"
    )
    created_at = serializers.DateTimeField()
    scored_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(help_text="Why it was rejected or failed.")
    counts_against_quota = serializers.BooleanField()
    verification = serializers.ChoiceField(
        choices=Verification.choices,
        help_text="not_claimed (no generator claimed), studio (made in the studio), pending "
        "(its claim is being re-run), verified (re-run exactly), unverified (see "
        "verification_note).",
    )
    verification_note = serializers.CharField(help_text="Why it is unverified.")
    hand_edited = serializers.BooleanField(
        help_text="Its chain holds a hand edit after a generator run."
    )
    board_hold = serializers.SerializerMethodField(
        help_text="Why the challenge's provenance rule keeps it off the board; empty if not."
    )

    def get_board_hold(self, submission: Submission) -> str:
        return board_hold(
            submission.challenge.provenance_rule,
            submission.verification,
            submission.hand_edited,
            submission.verification_note,
        )

    ranked = serializers.BooleanField(help_text="On the ranking (scored, not a copy).")
    disqualified = serializers.BooleanField(source="is_disqualified")
    disqualification_reason = serializers.CharField()
    flags = serializers.ListField(child=serializers.DictField())
    score = serializers.FloatField(allow_null=True, help_text="Null until visible.")
    components = serializers.DictField(child=serializers.FloatField())


class SubmissionDetailOutput(SubmissionOutput):
    provenance = serializers.JSONField(allow_null=True)
    attempts = serializers.IntegerField()
    explanation = serializers.CharField()
    weights = serializers.DictField(child=serializers.FloatField())
    evaluator_version = serializers.CharField()
    profile = serializers.CharField()
    details = serializers.DictField()


def _hide_scores(data: dict[str, Any]) -> dict[str, Any]:
    data["score"] = None
    data["components"] = {}
    for key in ("explanation", "evaluator_version"):
        if key in data:
            data[key] = ""
    if "details" in data:
        data["details"] = {}
    return data


def _hide_other_entries(data: dict[str, Any]) -> dict[str, Any]:
    """Copy flags as an owner may read them: no other entry's or participant's id."""
    data["flags"] = owner_flags(data["flags"])
    if "details" in data:
        data["details"] = owner_details(data["details"])
    if "explanation" in data:
        data["explanation"] = owner_text(data["explanation"])
    return data


def submission_data(access: SubmissionAccess, *, detail: bool = False) -> dict[str, Any]:
    serializer = SubmissionDetailOutput if detail else SubmissionOutput
    data = dict(serializer(access.submission).data)
    if not access.is_host:
        data = _hide_other_entries(data)
    return data if access.scores_visible else _hide_scores(data)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated
    return request.user


class SubmissionCreateInput(serializers.Serializer[object]):
    title = serializers.CharField(max_length=limits.TITLE, validators=[validate_title])
    description = serializers.CharField(max_length=limits.TEXT, required=False, allow_blank=True)
    technique = serializers.ChoiceField(choices=Technique.choices)
    file = serializers.FileField(help_text="A Standard MIDI File (.mid), at most 512 KB.")
    provenance = BoundedJSONField(
        binary=True,
        required=False,
        help_text="For a piece made with a generator outside the studio: a JSON object with "
        'input ("sample:<id>" or {"midi": "<base64>"}), technique, parameters, seed and '
        "model_version. A worker re-runs it and marks the entry verified or unverified.",
    )


class SubmissionCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "submit"

    @extend_schema(
        request={"multipart/form-data": SubmissionCreateInput},
        responses={201: SubmissionDetailOutput},
        summary="Enter a piece (multipart upload); it is scored asynchronously",
    )
    def post(self, request: Request, slug: str) -> Response:
        challenge = access_challenge(request.user, slug)
        data = SubmissionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ApplicationError(
                f"The file is {upload.size // 1024} KB; "
                f"the limit is {MAX_UPLOAD_BYTES // 1024} KB.",
                code="too_large",
            )
        submission = submission_create(
            user=_user(request),
            challenge=challenge,
            title=data.validated_data["title"],
            description=data.validated_data.get("description", ""),
            technique=data.validated_data["technique"],
            midi_bytes=upload.read(MAX_UPLOAD_BYTES + 1),
            provenance=data.validated_data.get("provenance"),
        )
        access = access_submission(request.user, submission.uuid)
        return Response(submission_data(access, detail=True), status=status.HTTP_201_CREATED)


class MySubmissionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="submissions_mine_list",  # a page, not one entry: no clash with detail
        parameters=[OpenApiParameter("challenge", str, description="A challenge's slug")],
        responses=paginated(SubmissionOutput),
        summary="Your entries, newest first, with their live state",
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("challenge")
        challenge = access_challenge(request.user, slug) if slug else None
        user = _user(request)
        entries = submission_list_for_participant(user=user, challenge=challenge)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(entries, request, view=self) or []
        rows = [
            submission_data(
                SubmissionAccess(entry, True, user.is_host, scores_visible(user, entry.challenge))
            )
            for entry in page
        ]
        return paginator.get_paginated_response(rows)


class SubmissionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SubmissionDetailOutput, summary="One entry with its full report")
    def get(self, request: Request, submission_id: str) -> Response:
        access = access_submission(request.user, submission_id)
        return Response(submission_data(access, detail=True))


class SubmissionMidiApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "audio/midi"): OpenApiTypes.BINARY}, summary="The entry's MIDI")
    def get(self, request: Request, submission_id: str) -> HttpResponse:
        submission = access_submission(request.user, submission_id).submission
        with submission.midi.open("rb") as handle:
            body = handle.read()
        response = HttpResponse(body, content_type="audio/midi")
        response["Content-Disposition"] = f'attachment; filename="entry-{submission.short_id}.mid"'
        return response


class DisqualifyInput(serializers.Serializer[object]):
    reason = serializers.CharField(max_length=limits.TEXT, help_text="Shown to the entry's owner.")


class SubmissionDisqualifyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=DisqualifyInput,
        responses=SubmissionDetailOutput,
        summary="Host: disqualify an entry",
    )
    def post(self, request: Request, submission_id: str) -> Response:
        submission = access_submission_as_host(request.user, submission_id)
        data = DisqualifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        host = require_host(request.user)
        submission = submission_disqualify(
            submission=submission, by=host, reason=data.validated_data["reason"]
        )
        return Response(submission_data(access_submission(host, submission.uuid), detail=True))


class SubmissionRestoreApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=SubmissionDetailOutput, summary="Host: restore a disqualified entry"
    )
    def post(self, request: Request, submission_id: str) -> Response:
        submission = access_submission_as_host(request.user, submission_id)
        submission = submission_restore(submission=submission)
        return Response(
            submission_data(access_submission(request.user, submission.uuid), detail=True)
        )
