from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from chartbusters.accounts.models import User


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(required=True, help_text="For password resets and results.")

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=60, required=False, help_text="Shown on leaderboards instead of your username."
    )
    email = forms.EmailField()
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="What the token is for, e.g. 'my laptop'.")
