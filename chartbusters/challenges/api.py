from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge
from chartbusters.challenges.markdown import render_markdown
from chartbusters.challenges.models import Challenge, ProvenanceRule
from chartbusters.challenges.selectors import challenge_list


class ChallengeOutput(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    title = serializers.CharField()
    theme = serializers.CharField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    allowed_techniques = serializers.ListField(child=serializers.CharField())
    provenance_rule = serializers.ChoiceField(
        choices=ProvenanceRule.choices,
        help_text="any: any entry ranks; verified: an entry claiming a generator ranks once "
        "verified; verified_unedited: only verified generator output without hand edits.",
    )
    evaluation_profile = serializers.CharField()
    weights = serializers.SerializerMethodField()
    daily_quota = serializers.IntegerField()
    total_quota = serializers.IntegerField()
    leaderboard_visibility = serializers.CharField()
    finalists_count = serializers.IntegerField()
    judge_weight = serializers.DecimalField(max_digits=3, decimal_places=2)
    results_published_at = serializers.DateTimeField(allow_null=True)

    def get_weights(self, challenge: Challenge) -> dict[str, float]:
        return {
            "realism": float(challenge.weight_realism),
            "typicality": float(challenge.weight_typicality),
            "frechet": float(challenge.weight_frechet),
        }


class ChallengeDetailOutput(ChallengeOutput):
    description = serializers.CharField(help_text="Markdown, as the host wrote it.")
    description_html = serializers.SerializerMethodField(help_text="Sanitised HTML.")

    def get_description_html(self, challenge: Challenge) -> str:
        return str(render_markdown(challenge.description))


def viewer(request: Request) -> User | None:
    return request.user if isinstance(request.user, User) else None


class ChallengeListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ChallengeOutput(many=True), summary="Challenges")
    def get(self, request: Request) -> Response:
        challenges = challenge_list(user=viewer(request))
        return Response(ChallengeOutput(challenges, many=True).data)


class ChallengeDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ChallengeDetailOutput, summary="One challenge")
    def get(self, request: Request, slug: str) -> Response:
        challenge = access_challenge(request.user, slug)
        return Response(ChallengeDetailOutput(challenge).data)
