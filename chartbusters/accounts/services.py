"""Writes to accounts: users, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from chartbusters.accounts.confirmation import read_confirmation
from chartbusters.accounts.emails import (
    send_already_registered,
    send_confirmation,
    send_username_unavailable,
)
from chartbusters.accounts.models import ApiToken, Role, User
from chartbusters.accounts.names import name_skeleton
from chartbusters.accounts.signals import public_name_changed
from chartbusters.core.errors import ApplicationError

MAX_ACTIVE_TOKENS = 20
# Recording every request's use of a token would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    role: str = Role.PARTICIPANT,
    email_verified: bool = True,
) -> User:
    """A new account. Accounts made by a host, a script or a test are vouched for
    (``email_verified``); open sign-up goes through ``user_sign_up`` instead."""
    user = User(username=username, email=email, email_verified=email_verified)
    user.set_password(password) if password else user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user_set_role(user=user, role=role)


def user_set_role(*, user: User, role: str) -> User:
    """Set the role; hosts get admin access (staff), others lose it unless superusers."""
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    user.role = role
    user.is_staff = role == Role.HOST or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    return user


def user_update_profile(*, user: User, display_name: str, email: str, bio: str) -> bool:
    """Save the profile. A new address is not taken as is: a confirmation link goes to
    it, and the account's address changes when that link is opened. Returns whether a
    new address was asked for; the caller says "we sent a link" either way, although
    none goes to an address another account has, so the answer reveals no account."""
    display_name = display_name.strip()
    if display_name and name_in_use(display_name, user=user):
        raise ApplicationError(DISPLAY_NAME_TAKEN, code="name_in_use")
    renamed = user.display_name != display_name
    user.display_name = display_name
    user.bio = bio
    user.full_clean(exclude=["password", "email"])
    with transaction.atomic():
        user.save(update_fields=["display_name", "bio"])
        if renamed:
            public_name_changed.send(sender=None, user_id=user.pk)
    email = User.objects.normalize_email(email.strip())
    if email.casefold() == user.email.casefold():
        return False
    if not _email_in_use(email, user=user):
        send_confirmation(user=user, email=email)
    return True


def user_confirm_email(*, token: str) -> User:
    """Open a confirmation link: the signed address becomes the account's, confirmed."""
    confirmation = read_confirmation(token)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=confirmation.user_id).first()
        if user is None or not user.is_active:
            raise ApplicationError("This link is not valid any more.", status=400)
        if _email_in_use(confirmation.email, user=user):
            raise ApplicationError(
                "Another account uses this address now, so it cannot be added to yours.",
                code="email_in_use",
            )
        user.email = confirmation.email
        user.email_verified = True
        user.save(update_fields=["email", "email_verified"])
    return user


def user_sign_up(*, username: str, email: str, password: str) -> User | None:
    """Open sign-up, answered the same way whoever already exists.

    A free username and address make an account whose address is not confirmed yet,
    and send it the confirmation link. An address that has an account gets a note to its
    owner instead; a taken name (or one too like a name in use) gets a note to the
    address. Either way one email goes out and the password is hashed once, so neither
    the page nor its timing tells a visitor which names or addresses exist. Returns the
    new account, if one was made (for the caller's logs and tests, never for the page).
    """
    email = User.objects.normalize_email(email.strip())
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        make_password(password)  # the time a new account would take
        send_already_registered(owner=owner)
        return None
    if name_in_use(username, user=None):
        make_password(password)
        send_username_unavailable(email=email, username=username)
        return None
    try:
        with transaction.atomic():
            user = user_create(
                username=username, email=email, password=password, email_verified=False
            )
    except (ValidationError, IntegrityError):
        return None  # a parallel sign-up took the name or the address a moment ago
    send_confirmation(user=user, email=email)
    return user


def user_resend_confirmation(*, user: User) -> None:
    if user.email_verified:
        raise ApplicationError("Your email address is already confirmed.")
    if not user.email:
        raise ApplicationError("Add an email address on your profile first.")
    send_confirmation(user=user, email=user.email)


def user_log_out_everywhere(*, user: User) -> int:
    """End every session and API token of ``user`` (raising the auth epoch changes the
    session hash they all depend on). Returns how many tokens were revoked."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(auth_epoch=F("auth_epoch") + 1)
        user.refresh_from_db(fields=["auth_epoch"])
        return api_token_revoke_all(user=user)


def user_password_changed(*, user: User, email_confirmed: bool = False) -> int:
    """After a password change: the tokens go with the old password, like the sessions
    (Django ends those). ``email_confirmed`` when it came through a link sent to the
    account's address. Returns how many tokens were revoked."""
    if email_confirmed and not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return api_token_revoke_all(user=user)


DISPLAY_NAME_TAKEN = (
    "This display name is too like another member's name; readers could mistake you for "
    "them. Choose another."
)


def name_in_use(name: str, *, user: User | None) -> bool:
    """Whether ``name`` looks like any other member's username or display name.

    Compared in Python, one pass over two short columns: names change rarely (sign-up
    and profile edits, both throttled or signed in), and a skeleton cannot be computed
    in SQL. Store the skeletons in indexed columns when members number in the millions.
    """
    skeleton = name_skeleton(name)
    others = User.objects.exclude(pk=user.pk) if user and user.pk else User.objects.all()
    for username, display_name in others.values_list("username", "display_name").iterator():
        if skeleton in (name_skeleton(username), display_name and name_skeleton(display_name)):
            return True
    return False


def _email_in_use(email: str, *, user: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw key, which is never stored.

    The token is bound to its owner's session hash (password and auth epoch): when
    either changes, the token stops working, like every session. Only a signed-in
    session may call this (see TokenListCreateApi), never a token: a stolen token
    cannot mint heirs that outlive its own revocation.
    """
    name = name.strip()
    if not name:
        raise ApplicationError("Give the token a name, so you can tell it apart later.")
    with transaction.atomic():
        # Lock the user row so two parallel requests cannot both pass the limit, and
        # read the current password and epoch from it.
        owner = User.objects.select_for_update().get(pk=user.pk)
        active = ApiToken.objects.filter(user=owner, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise ApplicationError(
                f"You have {active} active tokens; the limit is {MAX_ACTIVE_TOKENS}. "
                "Revoke one first."
            )
        key = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=owner,
            name=name[:60],
            prefix=key[:8],
            key_hash=hash_key(key),
            owner_auth_hash=owner.get_session_auth_hash(),
        )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise ApplicationError("No such token.", status=404)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_revoke_all(*, user: User) -> int:
    """Revoke every active token of ``user``; returns how many."""
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    return active.update(revoked_at=timezone.now())


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token with this key, its last use recorded (to the minute).

    A token made before its owner's password (or auth epoch) changed is revoked here, on
    its first use after the change, whichever way the password was changed (profile,
    reset link, admin, manage.py).
    """
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if not _bound_to_current_auth(token):
        api_token_revoke_unbound(user=token.user)
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _bound_to_current_auth(token: ApiToken) -> bool:
    """Whether the owner's password and auth epoch are those the token was made under
    (a hash under a retired SECRET_KEY still counts, as for sessions, and is renewed)."""
    current = token.user.get_session_auth_hash()
    if token.owner_auth_hash and constant_time_compare(token.owner_auth_hash, current):
        return True
    retired = token.user.get_session_auth_fallback_hash()
    if token.owner_auth_hash and not any(
        constant_time_compare(token.owner_auth_hash, value) for value in retired
    ):
        return False
    # Made before tokens were bound (no hash yet), or under a retired secret: bind it to
    # the owner's password as it is now.
    token.owner_auth_hash = current
    token.save(update_fields=["owner_auth_hash"])
    return True


def api_token_revoke_unbound(*, user: User) -> None:
    """Revoke the tokens made before the owner's last password or epoch change (a token
    made since then stays). Run when one is used and when the owner lists them, so a
    password set in the admin or by manage.py shows as revoked tokens too."""
    bound = ["", user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    stale = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        owner_auth_hash__in=bound
    )
    stale.update(revoked_at=timezone.now())
