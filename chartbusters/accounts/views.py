from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chartbusters.accounts.forms import ProfileForm, SignupForm, TokenCreateForm
from chartbusters.accounts.models import User
from chartbusters.accounts.selectors import api_token_list
from chartbusters.accounts.services import (
    api_token_create,
    api_token_revoke,
    user_create,
    user_update_profile,
)
from chartbusters.core.errors import ApplicationError


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect("core:home")
    return render(request, "accounts/signup.html", {"form": form})


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by @login_required
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    initial = {"display_name": user.display_name, "email": user.email, "bio": user.bio}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    context = {
        "form": form,
        "token_form": TokenCreateForm(),
        "tokens": api_token_list(user=user),
        "new_key": request.session.pop("new_api_key", None),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name (at most 60 characters).")
        return redirect("accounts:profile")
    try:
        token, key = api_token_create(user=_user(request), name=form.cleaned_data["name"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:profile")
    # Shown once on the next page load, then gone: only its hash is stored.
    request.session["new_api_key"] = {"name": token.name, "key": key}
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(user=_user(request), token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")
