"""The errors a generation request can end in, each with a message for the participant.

The Django studio maps :class:`GenerationError` (the one application error type of this
package) to a 400 response, the CLI to exit code 2. Anything else is a bug.
"""

from __future__ import annotations


class GenerationError(ValueError):
    """A request the generators refuse; ``message`` says why in plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GenerationParamError(GenerationError):
    """A parameter outside its allowed range or of the wrong type; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


class GenerationInputError(GenerationError):
    """An input score the generators cannot work on (too long, no pitched notes)."""


class UnknownTechniqueError(GenerationError):
    """A technique name that is not in the registry."""


class ModelVersionError(GenerationError):
    """A model version this service cannot run: its weights are gone, or other code made it."""
