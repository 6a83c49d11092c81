from __future__ import annotations

import csv
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge, require_host
from chartbusters.challenges.caching import board_page_key
from chartbusters.challenges.models import Challenge
from chartbusters.core.apicache import cached_api_response
from chartbusters.core.errors import ApplicationError
from chartbusters.core.openapi import paginated
from chartbusters.core.pagecache import PageKey
from chartbusters.judging.results import leaderboard_publish_results
from chartbusters.leaderboards.access import access_leaderboard
from chartbusters.leaderboards.likes import access_listen, like_add, like_remove, peoples_choice
from chartbusters.leaderboards.models import LeaderboardEntry, RescoreRun
from chartbusters.leaderboards.rescore import leaderboard_rescore_start
from chartbusters.leaderboards.selectors import (
    SORTS,
    BoardPaginator,
    final_results,
    leaderboard_export_rows,
    leaderboard_rows,
)


class BoardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class LeaderboardPagination(BoardPagination):
    django_paginator_class = BoardPaginator


class LeaderboardRowOutput(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    participant = serializers.CharField(source="participant.public_name")
    entry = serializers.UUIDField(source="submission.uuid")
    title = serializers.CharField(source="submission.title")
    technique = serializers.CharField(source="submission.technique")
    score = serializers.FloatField(allow_null=True)
    realism = serializers.FloatField(allow_null=True)
    typicality = serializers.FloatField(allow_null=True)
    frechet = serializers.FloatField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    entries_count = serializers.IntegerField()
    verification = serializers.CharField(
        source="submission.verification",
        help_text="not_claimed, studio, pending, verified or unverified (see the entry).",
    )
    hand_edited = serializers.BooleanField(source="submission.hand_edited")
    audio_url = serializers.SerializerMethodField(
        help_text="The entry's listening copy (Ogg Vorbis); null until it is rendered."
    )
    midi_url = serializers.SerializerMethodField(help_text="The entry's MIDI file.")

    def get_audio_url(self, row: LeaderboardEntry) -> str | None:
        if not row.submission.has_audio:
            return None
        return reverse("submissions:audio", args=[row.submission.uuid])

    def get_midi_url(self, row: LeaderboardEntry) -> str:
        # The view passes the challenge's slug: every row is on its board (no query per row).
        return reverse("api-listen", args=[self.context["slug"], row.submission.uuid])


class LeaderboardApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", str, enum=[*SORTS, *(f"-{s}" for s in SORTS)]),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=paginated(LeaderboardRowOutput),
        summary="The leaderboard: best entry per participant, paginated and sortable",
    )
    def get(self, request: Request, slug: str) -> Response:
        challenge = access_leaderboard(request.user, slug)

        def rows_page() -> Any:
            sort = request.query_params.get("sort", "rank")
            rows = leaderboard_rows(challenge=challenge, sort=sort)
            paginator = LeaderboardPagination()
            page = paginator.paginate_queryset(rows, request, view=self) or []
            rows_out = LeaderboardRowOutput(page, many=True, context={"slug": challenge.slug})
            return paginator.get_paginated_response(rows_out.data).data

        return cached_api_response(request, api_key(request, challenge, "board-api"), rows_page)


def api_key(request: Request, challenge: Challenge, name: str) -> PageKey:
    """Board data is the same for everyone who may see it: the key holds the URL asked
    for (its links are absolute) and the viewer's class, not the viewer."""
    variant = [request.build_absolute_uri()[:2000]]
    return board_page_key(request._request, challenge, name, variant, shared=True)


class _Echo:
    def write(self, value: str) -> str:
        return value


class LeaderboardExportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, summary="Host: board as CSV")
    def get(self, request: Request, slug: str) -> StreamingHttpResponse:
        require_host(request.user)
        challenge = access_challenge(request.user, slug)
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in leaderboard_export_rows(challenge=challenge))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{challenge.slug}-leaderboard.csv"'
        return response


class RescoreOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    challenge = serializers.SlugField(source="challenge.slug")
    state = serializers.CharField()
    rescored = serializers.IntegerField()
    changes = serializers.ListField(
        child=serializers.DictField(),
        help_text="Who moved: participant, rank before and after (null: not ranked), "
        "score_before, score_after, and why (a sentence).",
    )
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class RescoreStartApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={202: RescoreOutput}, summary="Host: rescore a challenge"
    )
    def post(self, request: Request, slug: str) -> Response:
        host = require_host(request.user)
        challenge = access_challenge(host, slug)
        run = leaderboard_rescore_start(challenge=challenge, by=host)
        return Response(RescoreOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RescoreDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RescoreOutput, summary="Host: a rescore and its rank changes")
    def get(self, request: Request, run_id: int) -> Response:
        require_host(request.user)
        run = RescoreRun.objects.select_related("challenge").filter(pk=run_id).first()
        if run is None:
            raise ApplicationError("No such rescore.", code="not_found", status=404)
        return Response(RescoreOutput(run).data)


class FinalResultOutput(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    participant = serializers.CharField(source="participant_name")
    entry = serializers.UUIDField(source="submission.uuid")
    title = serializers.CharField()
    automatic_score = serializers.FloatField(allow_null=True)
    judge_score = serializers.FloatField(allow_null=True)
    final_score = serializers.FloatField(allow_null=True)
    disqualified = serializers.BooleanField(
        source="submission.is_disqualified",
        help_text="Disqualified after publication: recorded here, the ranking stays as published.",
    )


class PublishResultsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: FinalResultOutput(many=True)},
        summary="Host: publish the results",
    )
    def post(self, request: Request, slug: str) -> Response:
        host = require_host(request.user)
        challenge = access_challenge(host, slug)
        results = leaderboard_publish_results(challenge=challenge)
        return Response(FinalResultOutput(results, many=True).data, status=status.HTTP_201_CREATED)


class ResultsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=paginated(FinalResultOutput), summary="The published final ranking")
    def get(self, request: Request, slug: str) -> Response:
        challenge = access_challenge(request.user, slug)
        if not challenge.results_published:
            raise ApplicationError(
                "The results are not published yet.", code="not_published", status=404
            )
        paginator = BoardPagination()
        page: Any = paginator.paginate_queryset(
            final_results(challenge=challenge), request, view=self
        )
        return paginator.get_paginated_response(FinalResultOutput(page, many=True).data)


# ----- the people's choice -------------------------------------------------------------


class PeoplesChoiceRowOutput(serializers.Serializer[Any]):
    entry = serializers.UUIDField(source="uuid")
    participant = serializers.CharField(source="participant.public_name")
    title = serializers.CharField()
    likes = serializers.IntegerField(source="likes_count")


class PeoplesChoiceApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=paginated(PeoplesChoiceRowOutput), summary="The people's choice")
    def get(self, request: Request, slug: str) -> Response:
        challenge = access_leaderboard(request.user, slug)

        def liked_page() -> Any:
            paginator = BoardPagination()
            page: Any = paginator.paginate_queryset(
                peoples_choice(challenge=challenge), request, view=self
            )
            liked_out = PeoplesChoiceRowOutput(page, many=True).data
            return paginator.get_paginated_response(liked_out).data

        key = api_key(request, challenge, "peoples-choice-api")
        return cached_api_response(request, key, liked_page)


class ListenApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "audio/midi"): OpenApiTypes.BINARY}, summary="Listen to a board entry"
    )
    def get(self, request: Request, slug: str, submission_id: str) -> HttpResponse:
        entry = access_listen(request.user, slug, submission_id)
        with entry.midi.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="audio/midi")
        response["Content-Disposition"] = f'attachment; filename="entry-{entry.short_id}.mid"'
        return response


class LikeOutput(serializers.Serializer[Any]):
    entry = serializers.UUIDField(source="uuid")
    likes = serializers.IntegerField(source="likes_count")


class LikeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=LikeOutput, summary="Like a board entry")
    def post(self, request: Request, slug: str, submission_id: str) -> Response:
        entry = access_listen(request.user, slug, submission_id)
        assert isinstance(request.user, User)
        return Response(LikeOutput(like_add(user=request.user, submission=entry)).data)

    @extend_schema(request=None, responses=LikeOutput, summary="Take a like back")
    def delete(self, request: Request, slug: str, submission_id: str) -> Response:
        entry = access_listen(request.user, slug, submission_id)
        assert isinstance(request.user, User)
        return Response(LikeOutput(like_remove(user=request.user, submission=entry)).data)
