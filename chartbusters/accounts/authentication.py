from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from chartbusters.accounts.services import api_token_authenticate


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` against our hashed, revocable, named tokens."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token
