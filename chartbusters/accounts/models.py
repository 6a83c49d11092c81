from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


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
    bio = models.TextField(blank=True, max_length=2000)

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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
