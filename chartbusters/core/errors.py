"""The one application error type; ``core.api_errors`` maps it to HTTP."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A failure the user can act on; ``message`` is shown to them as is."""

    def __init__(
        self, message: str, *, code: str = "invalid", status: int = 400, extra: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra
