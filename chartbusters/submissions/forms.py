from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from chartbusters.challenges.models import Challenge, Technique
from chartbusters.core import limits
from chartbusters.core.parsers import JsonInputError, loads_bounded
from chartbusters.submissions.text import validate_title
from music.validate import Limits

MAX_UPLOAD_BYTES = Limits().max_bytes


class PickerSelect(forms.Select):
    """A select whose options in ``disabled`` are shown but cannot be chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled: set[str] = set()

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


class SubmissionForm(forms.Form):
    """Upload a MIDI file, or pick one of your studio compositions (its technique and
    provenance come with it; the file field and the technique are then ignored)."""

    composition = forms.ChoiceField(
        required=False,
        widget=PickerSelect,
        label="A composition from the studio",
        help_text="Pick one of yours instead of uploading a file: its technique and "
        "provenance (input, parameters, seed, model version) are filled in for you.",
    )
    title = forms.CharField(max_length=limits.TITLE, validators=[validate_title])
    description = forms.CharField(
        max_length=limits.TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    technique = forms.ChoiceField(
        choices=Technique.choices, required=False, help_text="How the uploaded file was made."
    )
    file = forms.FileField(
        required=False,
        label="MIDI file",
        help_text=f"A Standard MIDI File (.mid), at most {MAX_UPLOAD_BYTES // 1024} KB.",
        # data-max-bytes: static/js/site/file-limit.js refuses a larger file in the page,
        # so the form and what was typed survive (the server would refuse the whole body).
        widget=forms.ClearableFileInput(
            attrs={"accept": ".mid,.midi,audio/midi", "data-max-bytes": MAX_UPLOAD_BYTES}
        ),
    )
    provenance = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, for pieces made with a generator: JSON with input, technique, "
        "parameters, seed and model_version.",
    )

    def __init__(
        self,
        *args: Any,
        challenge: Challenge,
        compositions: Sequence[tuple[str, str, str]] = (),
        **kwargs: Any,
    ) -> None:
        """``compositions``: (id, label, refusal) of the user's studio compositions, where
        ``refusal`` says why this challenge does not take one ("" if it does)."""
        super().__init__(*args, **kwargs)
        allowed = set(challenge.allowed_techniques)
        techniques = [c for c in Technique.choices if c[0] in allowed]
        if Technique.UPLOAD in allowed:
            self.fields["technique"].initial = Technique.UPLOAD
        else:  # nothing assumed: the participant says which generator made the file
            techniques.insert(0, ("", "Choose how it was made"))
        self.fields["technique"].choices = techniques  # type: ignore[attr-defined]
        self.refusals = {value: refusal for value, _, refusal in compositions if refusal}
        if compositions:
            choices = [("", "None: I upload a file")] + [
                (value, f"{label} — not taken here: {refusal}" if refusal else label)
                for value, label, refusal in compositions
            ]
            self.fields["composition"].choices = choices  # type: ignore[attr-defined]
            self.fields["composition"].widget.disabled = set(self.refusals)
        else:
            del self.fields["composition"]

    def clean_composition(self) -> str:
        picked: str = self.cleaned_data.get("composition") or ""
        if picked in self.refusals:
            raise forms.ValidationError(
                f"This challenge does not take pieces {self.refusals[picked]}."
            )
        return picked

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data["file"]
        if not upload:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; the limit is {MAX_UPLOAD_BYTES // 1024} KB."
            )
        return bytes(upload.read(MAX_UPLOAD_BYTES + 1))

    def clean_provenance(self) -> Any:
        text = self.cleaned_data["provenance"].strip()
        if not text:
            return None
        try:
            return loads_bounded(text)
        except JsonInputError as exc:
            raise forms.ValidationError(exc.message) from None
        except ValueError:
            raise forms.ValidationError("This is not valid JSON.") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        picked, upload = cleaned.get("composition"), cleaned.get("file")
        if picked and upload:
            raise forms.ValidationError("Upload a file or pick a composition, not both.")
        if picked or "file" in self.errors:
            return cleaned
        if not upload:
            self.add_error("file", "Upload a MIDI file or pick a composition from the studio.")
        elif not cleaned.get("technique"):
            self.add_error("technique", "Say how the piece was made.")
        return cleaned
