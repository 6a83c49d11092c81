"""Input and output serializers of the studio API (no logic: services do the work)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chartbusters.core import limits
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.studio.scores import MAX_NOTES, MAX_TRACKS


class RollTrackSchema(serializers.Serializer[Any]):
    program = serializers.IntegerField()
    name = serializers.CharField()
    is_drum = serializers.BooleanField()
    notes = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="[pitch, start, duration, velocity] per note; times in ticks.",
    )


class RollSchema(serializers.Serializer[Any]):
    ticks_per_beat = serializers.IntegerField()
    length = serializers.IntegerField(help_text="The whole bars the notes span, in ticks.")
    time_signature = serializers.ListField(child=serializers.IntegerField())
    tracks = RollTrackSchema(many=True)


@extend_schema_field(RollSchema)
class RollField(serializers.JSONField):
    """The stored roll, passed through as is (thousands of notes; no per-value fields)."""


class CompositionSubmissionOutput(serializers.Serializer[Any]):
    challenge = serializers.SlugField(source="challenge.slug")
    id = serializers.UUIDField(source="uuid")
    state = serializers.CharField()


class CompositionOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="uuid")
    title = serializers.CharField()
    kind = serializers.CharField(help_text="sample, upload, recording, edit or generated")
    technique = serializers.SerializerMethodField()
    params = serializers.JSONField(allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    model_version = serializers.SerializerMethodField()
    parent = serializers.UUIDField(source="parent.uuid", allow_null=True, default=None)  # type: ignore[assignment]
    input = serializers.UUIDField(source="input.uuid", allow_null=True, default=None)
    sample = serializers.CharField(help_text="The sample melody's slug, for kind sample.")
    created_at = serializers.DateTimeField()
    bars = serializers.IntegerField()
    duration_seconds = serializers.FloatField()
    tempo = serializers.FloatField()
    midi_url = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField(help_text="Null until the audio is rendered.")
    audio_state = serializers.CharField(help_text="pending, ready or failed")
    roll = RollField()
    submissions = CompositionSubmissionOutput(many=True, source="submissions.all")

    def get_technique(self, composition: Composition) -> str | None:
        return composition.technique or None

    def get_model_version(self, composition: Composition) -> str | None:
        return composition.model_version or None

    def get_midi_url(self, composition: Composition) -> str:
        return reverse("api-studio-composition-midi", args=[composition.uuid])

    def get_audio_url(self, composition: Composition) -> str | None:
        if not composition.has_audio:
            return None
        return reverse("api-studio-composition-audio", args=[composition.uuid])


class CreatedOutput(CompositionOutput):
    notice = serializers.CharField(
        required=False,
        help_text=(
            "Only on an upload that was written out on its player's beat: what was done, "
            "in words to show its owner."
        ),
    )


class JobOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="uuid")
    state = serializers.CharField(help_text="queued, running, done or failed")
    progress = serializers.FloatField(help_text="0 to 1")
    message = serializers.CharField(help_text="Where the job is, or why it failed.")
    technique = serializers.CharField()
    params = serializers.JSONField()
    seed = serializers.IntegerField()
    input = serializers.UUIDField(source="input.uuid", allow_null=True, default=None)
    result = CompositionOutput(allow_null=True)
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    can_retry = serializers.BooleanField()


def job_data(job: GenerationJob) -> dict[str, Any]:
    return dict(JobOutput(job).data)


# ----- inputs -------------------------------------------------------------------------


class UploadInput(serializers.Serializer[Any]):
    midi = serializers.FileField(help_text="A Standard MIDI File (.mid), at most 512 KB.")
    title = serializers.CharField(max_length=limits.TITLE, required=False, allow_blank=True)
    keep_timing = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Keep the file's own timing. By default a piece played in without the click "
            "(its notes off its file's beats) is stored written out on its player's beat, "
            "and the response's notice says so; a written or quantised file is always "
            "kept as it is."
        ),
    )


class SampleInput(serializers.Serializer[Any]):
    sample = serializers.CharField(max_length=64, help_text="A sample melody's slug.")
    title = serializers.CharField(max_length=limits.TITLE, required=False, allow_blank=True)


NOTE_LIST_HELP = "[pitch, start, duration, velocity] per note; times in ticks."


def note_list(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4),
        max_length=MAX_NOTES,
        help_text=NOTE_LIST_HELP,
        **kwargs,
    )


class TrackInput(serializers.Serializer[Any]):
    program = serializers.IntegerField(required=False, help_text="General MIDI program 0-127.")
    name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, allow_null=True, default=""
    )
    is_drum = serializers.BooleanField(required=False, default=False)
    notes = note_list()


class NotesInput(serializers.Serializer[Any]):
    """One track (``notes``, ``program``) or several (``tracks``), never both."""

    title = serializers.CharField(max_length=limits.TITLE, required=False, allow_blank=True)
    tempo = serializers.FloatField(help_text="Beats per minute (20-400).")
    ticks_per_beat = serializers.IntegerField(help_text="Ticks per quarter note (1-32767).")
    time_signature = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, required=False
    )
    program = serializers.IntegerField(required=False, help_text="General MIDI program 0-127.")
    notes = note_list(required=False)
    tracks: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=TrackInput(),
        required=False,
        max_length=MAX_TRACKS,
        help_text=f"Instead of notes and program: up to {MAX_TRACKS} tracks "
        "(an edit of a multi-track composition).",
    )
    parent = serializers.UUIDField(  # type: ignore[assignment]
        required=False, allow_null=True, help_text="The composition this edits, if any."
    )
    kind = serializers.ChoiceField(
        choices=["recording", "edit"],
        required=False,
        help_text="Default: edit when parent is given, else recording.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("notes" in attrs) == ("tracks" in attrs):
            raise serializers.ValidationError("Send either notes (one track) or tracks, not both.")
        return attrs


class RenameInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=limits.TITLE)


class InstrumentsInput(serializers.Serializer[Any]):
    programs = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=127),
        min_length=1,
        max_length=MAX_TRACKS,
        help_text="One General MIDI program (0-127) per track, in the roll's track order; "
        "a drum track keeps its own.",
    )


class JobInput(serializers.Serializer[Any]):
    input = serializers.UUIDField(help_text="The input composition's id.")
    technique = serializers.CharField(max_length=32)
    params = serializers.DictField(required=False, help_text="Defaults fill what is left out.")
    seed = serializers.IntegerField(
        required=False, allow_null=True, help_text="0 to 2^32-1; random when left out."
    )


class SubmitInput(serializers.Serializer[Any]):
    challenge = serializers.SlugField()
    title = serializers.CharField(max_length=limits.TITLE)
    description = serializers.CharField(max_length=limits.TEXT, required=False, allow_blank=True)


# ----- the catalogues ------------------------------------------------------------------


class SampleOutput(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField()
    key = serializers.CharField()
    meter = serializers.ListField(child=serializers.IntegerField())
    tempo = serializers.FloatField()
    bars = serializers.IntegerField()
    midi_url = serializers.CharField()
    audio_url = serializers.CharField()
    roll = RollField()


class TechniqueOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    version = serializers.CharField()
    params = serializers.ListField(
        child=serializers.DictField(),
        help_text="generation.params.Param.to_json(): name, label, type, default, help, "
        "min and max (numbers), choices (choice), unit.",
    )
    styles = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="GAN only: the style choices with title, description and instruments.",
    )
