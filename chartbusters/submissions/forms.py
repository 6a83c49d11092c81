from __future__ import annotations

import json
from typing import Any

from django import forms

from chartbusters.challenges.models import Challenge, Technique
from music.validate import Limits

MAX_UPLOAD_BYTES = Limits().max_bytes


class SubmissionForm(forms.Form):
    title = forms.CharField(max_length=120)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    technique = forms.ChoiceField(choices=Technique.choices)
    file = forms.FileField(
        label="MIDI file",
        help_text=f"A Standard MIDI File (.mid), at most {MAX_UPLOAD_BYTES // 1024} KB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".mid,.midi,audio/midi"}),
    )
    provenance = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, for pieces made with a generator: JSON with input, technique, "
        "parameters, seed and model_version.",
    )

    def __init__(self, *args: Any, challenge: Challenge, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(challenge.allowed_techniques)
        self.fields["technique"].choices = [c for c in Technique.choices if c[0] in allowed]  # type: ignore[attr-defined]

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
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
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError("This is not valid JSON.") from None
