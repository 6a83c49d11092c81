from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chartbusters.accounts import throttles
from chartbusters.accounts.forms import ProfileForm, SignupForm, TokenCreateForm
from chartbusters.accounts.models import User
from chartbusters.accounts.selectors import api_token_list
from chartbusters.accounts.services import (
    api_token_create,
    api_token_revoke,
    api_token_revoke_unbound,
    user_confirm_email,
    user_log_out_everywhere,
    user_password_changed,
    user_resend_confirmation,
    user_sign_up,
    user_update_profile,
)
from chartbusters.accounts.throttles import client_address, too_many_requests
from chartbusters.core.errors import ApplicationError

View = Callable[..., HttpResponseBase]

SIGNUP_THROTTLED = "Too many sign-ups from your network. Please try again later."
CONFIRMATION_THROTTLED = "Too many confirmation emails for your account. Please try again later."
LOGIN_THROTTLED = (
    "Too many failed log-in attempts for this account or from your network. Please try "
    "again later, or reset your password."
)
RESET_THROTTLED = "Too many password reset requests. Please try again later."


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    if request.method == "POST":
        slot = throttles.take("signup", client_address(request), settings.THROTTLE_SIGNUP_ADDRESS)
        if not slot.allowed:
            return too_many_requests(request, SIGNUP_THROTTLED, slot.retry_after)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        # The same page whether an account was made or not: see user_sign_up.
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_GET
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link confirms the address; it does not log anyone in."""
    try:
        user = user_confirm_email(token=token)
    except ApplicationError as exc:  # a bad link, or an address taken since it was sent
        return render(request, "accounts/confirm_failed.html", {"message": exc.message}, status=400)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    return redirect("accounts:login")


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    slot = throttles.take("confirm-email", str(user.pk), settings.THROTTLE_EMAIL_CONFIRMATION)
    if not slot.allowed:
        return too_many_requests(request, CONFIRMATION_THROTTLED, slot.retry_after)
    try:
        user_resend_confirmation(user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A new link is on its way to {user.email}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    revoked = user_log_out_everywhere(user=user)
    update_session_auth_hash(request, user)  # this browser stays signed in
    messages.success(
        request,
        f"Every other session has ended and {revoked} API token(s) are revoked.",
    )
    return redirect("accounts:profile")


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
        response = _save_profile(request, user, form)
        if response is not None:
            return response
    api_token_revoke_unbound(user=user)
    context = {
        "form": form,
        "token_form": TokenCreateForm(),
        "tokens": api_token_list(user=user),
        "new_key": request.session.pop("new_api_key", None),
    }
    return render(request, "accounts/profile.html", context)


def _save_profile(request: HttpRequest, user: User, form: ProfileForm) -> HttpResponse | None:
    """Save, and redirect; None (with the form's error) when the service refuses."""
    new_email = form.cleaned_data["email"].strip().casefold() != user.email.casefold()
    if new_email:
        slot = throttles.take("confirm-email", str(user.pk), settings.THROTTLE_EMAIL_CONFIRMATION)
        if not slot.allowed:
            return too_many_requests(request, CONFIRMATION_THROTTLED, slot.retry_after)
    try:
        sent = user_update_profile(user=user, **form.cleaned_data)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return None
    messages.success(request, "Profile saved.")
    if sent:
        email = form.cleaned_data["email"]
        messages.info(
            request,
            f"We sent a link to {email}: your address changes to it when you open the link.",
        )
    return redirect("accounts:profile")


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


def throttle_login(view: View) -> View:
    """Count failed log-ins per account and per client address (fixed windows); past a
    limit the password is not even checked (429). Wraps both log-in pages, the site's
    and the admin's."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        account = str(request.POST.get("username", "")).strip().casefold()
        slots = (
            throttles.take("login-account", account, settings.THROTTLE_LOGIN_ACCOUNT),
            throttles.take(
                "login-address", client_address(request), settings.THROTTLE_LOGIN_ADDRESS
            ),
        )
        over = throttles.refused(*slots)
        if over is not None:
            return too_many_requests(request, LOGIN_THROTTLED, over.retry_after)
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:  # logged in: this attempt was no guess
            for slot in slots:
                throttles.give_back(slot)
        return response

    return wrapper


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (the same answer for any address), throttled per client address
    and per address asked for, so it can neither be used to flood a mailbox nor to
    probe addresses quickly."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("email", "")).strip().casefold()
        rate = settings.THROTTLE_PASSWORD_RESET
        over = throttles.refused(
            throttles.take("reset-address", client_address(request), rate),
            throttles.take("reset-email", email, rate),
        )
        if over is not None:
            return too_many_requests(request, RESET_THROTTLED, over.retry_after)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (which ends the other sessions) also revokes the API
    tokens made under the old password."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user_password_changed(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password from a reset link: the tokens go, and the address is confirmed
    (the link was opened from its mailbox)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user_password_changed(user=form.user, email_confirmed=True)
        return response
