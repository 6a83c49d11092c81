from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chartbusters.core.errors import ApplicationError
from chartbusters.judging.access import access_judging
from chartbusters.judging.selectors import Finalist, finalists_for_judge
from chartbusters.judging.services import judge_score_set


class RubricOutput(serializers.Serializer[Any]):
    originality = serializers.IntegerField()
    balance = serializers.IntegerField()
    emotional = serializers.IntegerField()
    comment = serializers.CharField()


class FinalistOutput(serializers.Serializer[Any]):
    finalist = serializers.CharField(source="label", help_text="All a judge learns of its maker.")
    id = serializers.UUIDField(source="submission.uuid")
    title = serializers.CharField(source="submission.title")
    technique = serializers.CharField(source="submission.technique")
    my_score = RubricOutput(allow_null=True)


class RubricInput(serializers.Serializer[Any]):
    originality = serializers.IntegerField(min_value=1, max_value=5)
    balance = serializers.IntegerField(min_value=1, max_value=5)
    emotional = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


def _finalist(finalists: list[Finalist], submission_id: str) -> Finalist:
    for finalist in finalists:
        if str(finalist.submission.uuid) == submission_id:
            return finalist
    raise ApplicationError("No such finalist.", code="not_found", status=404)


class FinalistListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FinalistOutput(many=True), summary="Judge: the finalists, anonymised")
    def get(self, request: Request, slug: str) -> Response:
        challenge, judge = access_judging(request.user, slug)
        finalists = finalists_for_judge(challenge=challenge, judge=judge)
        return Response(FinalistOutput(finalists, many=True).data)


class FinalistMidiApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "audio/midi"): OpenApiTypes.BINARY}, summary="Judge: listen")
    def get(self, request: Request, slug: str, submission_id: str) -> HttpResponse:
        challenge, judge = access_judging(request.user, slug)
        finalist = _finalist(finalists_for_judge(challenge=challenge, judge=judge), submission_id)
        with finalist.submission.midi.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="audio/midi")
        name = finalist.label.lower().replace(" ", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.mid"'
        return response


class FinalistScoreApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RubricInput, responses=RubricOutput, summary="Judge: score a finalist")
    def put(self, request: Request, slug: str, submission_id: str) -> Response:
        challenge, judge = access_judging(request.user, slug)
        finalist = _finalist(finalists_for_judge(challenge=challenge, judge=judge), submission_id)
        data = RubricInput(data=request.data)
        data.is_valid(raise_exception=True)
        score = judge_score_set(
            judge=judge, challenge=challenge, submission=finalist.submission, **data.validated_data
        )
        return Response(RubricOutput(score).data)
