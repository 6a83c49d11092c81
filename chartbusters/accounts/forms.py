from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator

from chartbusters.accounts.models import User
from chartbusters.core import limits


class SignupForm(forms.Form):
    """Sign-up fields, checked for their form only: whether the name or the address is
    taken is never a form error (``user_sign_up`` answers that by email)."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @/./+/-/_ only.",
    )
    email = forms.EmailField(help_text="We send a link to confirm it.")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password confirmation",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Enter the same password as before, for verification.",
    )

    def clean_username(self) -> str:
        return str(User.normalize_username(self.cleaned_data["username"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two password fields didn’t match.")
        elif password2:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(password2, candidate)
            except forms.ValidationError as error:
                self.add_error("password2", error)
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=60, required=False, help_text="Shown on leaderboards instead of your username."
    )
    email = forms.EmailField()
    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=limits.TEXT
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="What the token is for, e.g. 'my laptop'.")
