from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from chartbusters.core import limits


class Role(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    JUDGE = "judge", "Judge"
    HOST = "host", "Host"


class User(AbstractUser):
    """A person on the site. Hosts are staff (they set challenges up in the admin)."""

    role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.PARTICIPANT,
        help_text="Participants submit music, judges score finalists, hosts run challenges.",
    )
    display_name = models.CharField(
        max_length=60,
        blank=True,
        help_text="Shown on leaderboards instead of the username when set.",
    )
    bio = models.TextField(blank=True, max_length=limits.TEXT)
    email_verified = models.BooleanField(
        default=False,
        help_text="The owner opened the confirmation link sent to this address. "
        "Needed to enter challenges and to like entries.",
    )
    auth_epoch = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised by 'log out everywhere': ends every session and API token.",
    )

    class Meta(AbstractUser.Meta):
        constraints = [
            # Case-insensitive, like the log-in by email of password resets; several
            # accounts may have no address (made in the admin or by createsuperuser).
            models.UniqueConstraint(
                Lower("email"),
                name="unique_user_email_ci",
                condition=~models.Q(email=""),
                violation_error_message="Another account already uses this email address.",
            )
        ]

    # Django ends a user's sessions when their session hash (an HMAC of the password hash)
    # changes. Mixing in the auth epoch makes 'log out everywhere' do the same, and API
    # tokens are bound to this hash too (ApiToken.owner_auth_hash). At epoch 0 the hash
    # is Django's own, so deploying this logs nobody out.
    def get_session_auth_hash(self) -> str:
        if self.auth_epoch == 0:
            return super().get_session_auth_hash()
        return self._epoch_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        if self.auth_epoch == 0:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_hash(secret=secret)

    def _epoch_hash(self, *, secret: str | bytes | None) -> str:
        value = f"{self.password}:{self.auth_epoch}"
        return salted_hmac(
            "chartbusters.accounts.User.auth_hash", value, secret=secret, algorithm="sha256"
        ).hexdigest()

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_host(self) -> bool:
        return self.role == Role.HOST or self.is_superuser

    @property
    def is_judge(self) -> bool:
        return self.role == Role.JUDGE


class ApiToken(models.Model):
    """A named API key. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=8, help_text="The first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    owner_auth_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The owner's session hash when the token was made: a password change or "
        "'log out everywhere' changes it, and the token stops working.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
