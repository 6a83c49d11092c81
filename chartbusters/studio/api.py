"""The studio API (mounted under /api/studio/); see notes/studio-api.md for the contract.

Technique JSON (``GET techniques/``) is ``generation.registry.Technique.to_json()`` as is:
``{name, title, description, version, params: [...]}``, each parameter being
``generation.params.Param.to_json()``: ``{name, label, type: "int"|"float"|"choice"|
"bool", default, help, min?, max? (numbers), choices? (a list of strings, choice
parameters), unit?}``. The GAN's entry adds ``styles``: for each choice of its ``style``
parameter ``{name, title, description, corpus, instruments: [{name, program}]}``.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from chartbusters.accounts.models import User
from chartbusters.challenges.access import access_challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.core.parsers import BoundedJSONParser
from chartbusters.core.ranges import ranged_file_response
from chartbusters.studio import scores, services
from chartbusters.studio.access import access_composition, access_job
from chartbusters.studio.generators import technique_rows
from chartbusters.studio.labels import label_table
from chartbusters.studio.models import Composition
from chartbusters.studio.selectors import composition_list_for_owner
from chartbusters.studio.serializers import (
    CompositionOutput,
    CreatedOutput,
    InstrumentsInput,
    JobInput,
    JobOutput,
    NotesInput,
    RenameInput,
    SampleInput,
    SampleOutput,
    SubmitInput,
    TechniqueOutput,
    UploadInput,
    job_data,
)
from chartbusters.studio.tasks import queue_missing_sample_audio
from chartbusters.submissions.access import access_submission
from chartbusters.submissions.api import SubmissionDetailOutput, submission_data

ERROR = OpenApiResponse(description="A message naming what is wrong: {detail, code}.")
RANGE_ERROR = OpenApiResponse(
    description="The Range header selects no byte of the file (Content-Range: bytes */size)."
)

# Audio endpoints answer one byte range (chartbusters.core.ranges).
AUDIO_RESPONSES: dict[Any, Any] = {
    (200, "audio/ogg"): OpenApiTypes.BINARY,
    (206, "audio/ogg"): OpenApiTypes.BINARY,
    404: ERROR,
    416: RANGE_ERROR,
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated
    return request.user


class CompositionPagination(PageNumberPagination):
    page_size = 20


# ----- public catalogues ----------------------------------------------------------------


def sample_rows() -> list[dict[str, Any]]:
    return [
        {
            **row,
            "midi_url": reverse("api-studio-sample-midi", args=[row["slug"]]),
            "audio_url": reverse("api-studio-sample-audio", args=[row["slug"]]),
        }
        for row in scores.samples_json()
    ]


class SampleListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=SampleOutput(many=True), summary="The sample melodies")
    def get(self, request: Request) -> Response:
        queue_missing_sample_audio()
        return Response(sample_rows())


def _sample_slug(slug: str) -> str:
    if not scores.sample_exists(slug):
        raise ApplicationError("No such sample melody.", code="not_found", status=404)
    return slug


class SampleMidiApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "audio/midi"): OpenApiTypes.BINARY, 404: ERROR},
        summary="A sample melody's MIDI file",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        response = HttpResponse(scores.sample_midi(_sample_slug(slug)), content_type="audio/midi")
        response["Content-Disposition"] = f'attachment; filename="{slug}.mid"'
        return response


class SampleAudioApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            **AUDIO_RESPONSES,
            503: OpenApiResponse(description="Being rendered; try again (Retry-After)."),
        },
        summary="A sample melody's audio (Ogg Vorbis)",
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        name = scores.sample_audio_name(_sample_slug(slug))
        response: HttpResponseBase
        if default_storage.exists(name):
            response = ranged_file_response(
                request, default_storage.open(name, "rb"), content_type="audio/ogg"
            )
            response["Cache-Control"] = "public, max-age=86400"
            return response
        queue_missing_sample_audio()
        response = JsonResponse(
            {
                "detail": "This melody's audio is being prepared; try again in a few seconds.",
                "code": "audio_pending",
            },
            status=503,
        )
        response["Retry-After"] = "3"
        return response


class TechniqueListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=TechniqueOutput(many=True),
        summary="The generators and their parameters (ranges, defaults, help)",
    )
    def get(self, request: Request) -> Response:
        return Response(technique_rows())


class LabelsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="What every name means: a label and a sentence of help for each score "
        "component, statistic, flag, judge profile, technique, parameter and sample melody",
    )
    def get(self, request: Request) -> Response:
        return Response(label_table())


# ----- compositions ---------------------------------------------------------------------


def composition_data(composition: Composition) -> dict[str, Any]:
    return dict(CompositionOutput(composition).data)


def _refetch(user: User, composition: Composition) -> dict[str, Any]:
    return composition_data(access_composition(user, composition.uuid))


CREATE_JSON = PolymorphicProxySerializer(
    component_name="CompositionCreateJson",
    serializers=[SampleInput, NotesInput],
    resource_type_field_name=None,
)


def notes_input(values: dict[str, Any]) -> scores.NotesInput:
    """The validated body of the notes form: one track (notes) or several (tracks)."""
    if "tracks" in values:
        tracks = tuple(
            scores.TrackNotes(
                notes=track["notes"],
                program=track.get("program", 0),
                name=track.get("name") or "",
                is_drum=track["is_drum"],
                where=f"tracks[{i}].",
            )
            for i, track in enumerate(values["tracks"])
        )
    else:
        tracks = (scores.TrackNotes(notes=values["notes"], program=values.get("program", 0)),)
    return scores.NotesInput(
        tempo=values["tempo"],
        ticks_per_beat=values["ticks_per_beat"],
        tracks=tracks,
        time_signature=tuple(values.get("time_signature") or (4, 4)),
        title=values.get("title", ""),
    )


class CompositionListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        responses=CompositionOutput(many=True), summary="Your compositions, newest first"
    )
    def get(self, request: Request) -> Response:
        paginator = CompositionPagination()
        compositions = composition_list_for_owner(user=_user(request)).select_related("input")
        page = paginator.paginate_queryset(compositions, request, view=self) or []
        return paginator.get_paginated_response([composition_data(c) for c in page])

    @extend_schema(
        request={"multipart/form-data": UploadInput, "application/json": CREATE_JSON},
        responses={
            200: OpenApiResponse(
                CompositionOutput, description="Your existing input for this sample melody."
            ),
            201: CreatedOutput,
            400: ERROR,
        },
        summary="Create an input: upload a MIDI file, pick a sample, or send notes",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        notice = ""
        if "midi" in request.FILES:
            composition, notice = self._upload(user, request)
        elif "sample" in request.data:
            data = SampleInput(data=request.data)
            data.is_valid(raise_exception=True)
            composition, created = services.composition_for_sample(
                user=user,
                slug=data.validated_data["sample"],
                title=data.validated_data.get("title", ""),
            )
            if not created:
                return Response(_refetch(user, composition), status=status.HTTP_200_OK)
        elif "notes" in request.data or "tracks" in request.data:
            composition = self._notes(user, request)
        else:
            raise ApplicationError(
                "Send a MIDI file (midi), a sample melody's slug (sample), notes or tracks.",
                code="no_input",
            )
        body = _refetch(user, composition)
        if notice:
            body["notice"] = notice
        return Response(body, status=status.HTTP_201_CREATED)

    def _upload(self, user: User, request: Request) -> tuple[Composition, str]:
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["midi"]
        if upload.size > scores.MAX_UPLOAD_BYTES:  # refused before it is read whole
            raise ApplicationError(
                f"The file is {upload.size // 1024} KB; "
                f"the limit is {scores.MAX_UPLOAD_BYTES // 1024} KB.",
                code="too_large",
            )
        return services.composition_create_from_upload(
            user=user,
            data=upload.read(scores.MAX_UPLOAD_BYTES + 1),
            title=data.validated_data.get("title") or services.title_from_filename(upload.name),
            follow_beat=not data.validated_data["keep_timing"],
        )

    def _notes(self, user: User, request: Request) -> Composition:
        data = NotesInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        parent = None
        if values.get("parent"):
            parent = access_composition(user, values["parent"])
        notes = notes_input(values)
        return services.composition_create_from_notes(
            user=user, notes=notes, parent=parent, kind=values.get("kind", "")
        )


class CompositionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CompositionOutput, 404: ERROR}, summary="One composition")
    def get(self, request: Request, composition_id: str) -> Response:
        return Response(composition_data(access_composition(request.user, composition_id)))

    @extend_schema(
        request=RenameInput,
        responses={200: CompositionOutput, 400: ERROR, 404: ERROR},
        summary="Rename a composition",
    )
    def patch(self, request: Request, composition_id: str) -> Response:
        composition = access_composition(request.user, composition_id)
        data = RenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.composition_rename(composition=composition, title=data.validated_data["title"])
        return Response(_refetch(_user(request), composition))

    @extend_schema(request=None, responses={204: None, 404: ERROR}, summary="Delete a composition")
    def delete(self, request: Request, composition_id: str) -> Response:
        services.composition_delete(composition=access_composition(request.user, composition_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompositionInstrumentsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=InstrumentsInput,
        responses={200: CompositionOutput, 400: ERROR, 404: ERROR},
        summary="Choose each track's instrument (a General MIDI program); audio renders again",
    )
    def put(self, request: Request, composition_id: str) -> Response:
        composition = access_composition(request.user, composition_id)
        data = InstrumentsInput(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.composition_set_instruments(
            composition=composition, programs=data.validated_data["programs"]
        )
        return Response(_refetch(_user(request), changed))


def midi_response(composition: Composition) -> HttpResponse:
    with composition.midi.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="audio/midi")
    name = slugify(composition.title) or "composition"
    response["Content-Disposition"] = f'attachment; filename="{name}.mid"'
    return response


def audio_response(request: HttpRequest, composition: Composition) -> HttpResponseBase:
    """The Ogg file, one byte range of it when asked (players seek with them)."""
    if not composition.has_audio:
        raise ApplicationError(
            "The audio is not ready."
            if composition.audio_state == "pending"
            else "The audio could not be rendered; the MIDI file is still there.",
            code="audio_not_ready",
            status=404,
        )
    return ranged_file_response(request, composition.audio.open("rb"), content_type="audio/ogg")


class CompositionMidiApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "audio/midi"): OpenApiTypes.BINARY, 404: ERROR},
        summary="A composition's MIDI file (named after its title)",
    )
    def get(self, request: Request, composition_id: str) -> HttpResponse:
        return midi_response(access_composition(request.user, composition_id))


class CompositionAudioApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=AUDIO_RESPONSES,
        summary="A composition's audio (Ogg Vorbis), once rendered",
    )
    def get(self, request: Request, composition_id: str) -> HttpResponseBase:
        return audio_response(request, access_composition(request.user, composition_id))


class CompositionSubmitApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "submit"

    @extend_schema(
        request=SubmitInput,
        responses={201: SubmissionDetailOutput, 400: ERROR, 404: ERROR, 429: ERROR},
        summary="Enter a composition in a challenge (with its provenance)",
    )
    def post(self, request: Request, composition_id: str) -> Response:
        user = _user(request)
        composition = access_composition(user, composition_id)
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = access_challenge(user, data.validated_data["challenge"])
        submission = services.composition_submit(
            user=user,
            composition=composition,
            challenge=challenge,
            title=data.validated_data["title"],
            description=data.validated_data.get("description", ""),
        )
        access = access_submission(user, submission.uuid)
        return Response(submission_data(access, detail=True), status=status.HTTP_201_CREATED)


# ----- jobs -------------------------------------------------------------------------------


class JobCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=JobInput,
        responses={202: JobOutput, 400: ERROR, 429: ERROR},
        summary="Run a technique on an input composition (asynchronously)",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = JobInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        source = Composition.objects.filter(uuid=values["input"], owner=user).first()
        if source is None:
            raise ApplicationError(
                "You have no composition with this id.", code="unknown_input",
                extra={"field": "input"},
            )  # fmt: skip
        job = services.job_start(
            user=user,
            input=source,
            technique=values["technique"],
            params=values.get("params"),
            seed=values.get("seed"),
        )
        return Response(job_data(access_job(user, job.uuid)), status=status.HTTP_202_ACCEPTED)


class JobDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: JobOutput, 404: ERROR}, summary="A job's state (poll this)")
    def get(self, request: Request, job_id: str) -> Response:
        return Response(job_data(access_job(request.user, job_id)))


class JobRetryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={202: JobOutput, 404: ERROR, 409: ERROR, 429: ERROR},
        summary="Retry a failed job (same id, same seed, a new attempt)",
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = services.job_retry(job=access_job(request.user, job_id))
        return Response(job_data(access_job(request.user, job.uuid)), status=202)
