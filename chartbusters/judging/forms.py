from __future__ import annotations

from django import forms

from chartbusters.core import limits
from chartbusters.judging.models import RUBRIC_LABELS

CHOICES = [(i, str(i)) for i in range(1, 6)]


class RubricForm(forms.Form):
    originality = forms.TypedChoiceField(
        choices=CHOICES, coerce=int, label=RUBRIC_LABELS["originality"]
    )
    balance = forms.TypedChoiceField(choices=CHOICES, coerce=int, label=RUBRIC_LABELS["balance"])
    emotional = forms.TypedChoiceField(
        choices=CHOICES, coerce=int, label=RUBRIC_LABELS["emotional"]
    )
    comment = forms.CharField(
        required=False, max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
