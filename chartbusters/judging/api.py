from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chartbusters.core import limits
from chartbusters.core.errors import ApplicationError
from chartbusters.core.ranges import ranged_file_response
from chartbusters.judging.access import access_judging
from chartbusters.judging.anonymise import anonymous_midi
from chartbusters.judging.selectors import (
    FinalistForJudge,
    finalist_by_handle,
    finalists_for_judge,
)
from chartbusters.judging.services import judge_score_set


class RubricOutput(serializers.Serializer[Any]):
    originality = serializers.IntegerField()
    balance = serializers.IntegerField()
    emotional = serializers.IntegerField()
    comment = serializers.CharField()


class FinalistOutput(serializers.Serializer[Any]):
    """No id, title or file name of the entry: nothing a public view could match."""

    finalist = serializers.CharField(source="label", help_text="All a judge learns of its maker.")
    id = serializers.CharField(
        source="handle", help_text="This judging's own random name for the finalist."
    )
    technique = serializers.CharField(source="submission.technique")
    verification = serializers.CharField(
        source="submission.verification",
        help_text="not_claimed, studio, pending, verified or unverified.",
    )
    hand_edited = serializers.BooleanField(source="submission.hand_edited")
    my_score = RubricOutput(allow_null=True)


class RubricInput(serializers.Serializer[Any]):
    originality = serializers.IntegerField(min_value=1, max_value=5)
    balance = serializers.IntegerField(min_value=1, max_value=5)
    emotional = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=limits.TEXT, required=False, allow_blank=True)


def _finalist(request: Request, slug: str, handle: str) -> FinalistForJudge:
    challenge, judge = access_judging(request.user, slug)
    return finalist_by_handle(finalists_for_judge(challenge=challenge, judge=judge), handle)


class FinalistListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FinalistOutput(many=True), summary="Judge: the finalists, anonymised")
    def get(self, request: Request, slug: str) -> Response:
        challenge, judge = access_judging(request.user, slug)
        finalists = finalists_for_judge(challenge=challenge, judge=judge)
        return Response(FinalistOutput(finalists, many=True).data)


class FinalistMidiApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "audio/midi"): OpenApiTypes.BINARY},
        summary="Judge: a finalist's MIDI, without its metadata",
    )
    def get(self, request: Request, slug: str, handle: str) -> HttpResponse:
        finalist = _finalist(request, slug, handle)
        with finalist.submission.midi.open("rb") as stored:
            response = HttpResponse(anonymous_midi(stored.read()), content_type="audio/midi")
        name = finalist.label.lower().replace(" ", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.mid"'
        response["Cache-Control"] = "private, no-store"
        return response


class FinalistAudioApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "audio/ogg"): OpenApiTypes.BINARY},
        summary="Judge: listen to a finalist",
    )
    def get(self, request: Request, slug: str, handle: str) -> HttpResponseBase:
        entry = _finalist(request, slug, handle).submission
        if not entry.has_audio:
            raise ApplicationError("This finalist's audio is not ready.", code="not_found",
                                   status=404)  # fmt: skip
        response = ranged_file_response(request, entry.audio.open("rb"), content_type="audio/ogg")
        response["Cache-Control"] = "private, no-store"
        return response


class FinalistScoreApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RubricInput, responses=RubricOutput, summary="Judge: score a finalist")
    def put(self, request: Request, slug: str, handle: str) -> Response:
        challenge, judge = access_judging(request.user, slug)
        finalist = finalist_by_handle(finalists_for_judge(challenge=challenge, judge=judge), handle)
        data = RubricInput(data=request.data)
        data.is_valid(raise_exception=True)
        score = judge_score_set(
            judge=judge, challenge=challenge, submission=finalist.submission, **data.validated_data
        )
        return Response(RubricOutput(score).data)
