from __future__ import annotations

from typing import Any

from django import forms

from chartbusters.challenges.models import Challenge
from chartbusters.core import limits


class RenameForm(forms.Form):
    title = forms.CharField(max_length=limits.TITLE)


class SubmitForm(forms.Form):
    challenge = forms.ChoiceField(help_text="Challenges taking entries made this way now.")
    title = forms.CharField(max_length=limits.TITLE)
    description = forms.CharField(
        max_length=limits.TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, challenges: list[Challenge], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenge"].choices = [(c.slug, c.title) for c in challenges]  # type: ignore[attr-defined]
