"""Writes to accounts: users, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from chartbusters.accounts.models import ApiToken, Role, User
from chartbusters.core.errors import ApplicationError

MAX_ACTIVE_TOKENS = 20
# Recording every request's use of a token would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def user_create(
    *, username: str, email: str, password: str | None, role: str = Role.PARTICIPANT
) -> User:
    user = User(username=username, email=email)
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


def user_update_profile(*, user: User, display_name: str, email: str, bio: str) -> User:
    user.display_name = display_name
    user.email = email
    user.bio = bio
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "email", "bio"])
    return user


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw key, which is never stored."""
    name = name.strip()
    if not name:
        raise ApplicationError("Give the token a name, so you can tell it apart later.")
    with transaction.atomic():
        # Lock the user row so two parallel requests cannot both pass the limit.
        User.objects.select_for_update().get(pk=user.pk)
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise ApplicationError(
                f"You have {active} active tokens; the limit is {MAX_ACTIVE_TOKENS}. "
                "Revoke one first."
            )
        key = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user, name=name[:60], prefix=key[:8], key_hash=hash_key(key)
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


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token with this key, its last use recorded (to the minute)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
