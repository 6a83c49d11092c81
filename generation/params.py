"""Declarative generation parameters: one spec drives validation, the CLI and the studio UI.

Each technique declares its user-facing parameters once, as a :class:`ParamSpec` of
:class:`Param`, and every edge reads it from there: the Celery task validates the
studio's JSON with :meth:`ParamSpec.validate`, ``python -m generation`` turns it into
options (``creative_risk`` becomes ``--creative-risk``) with :meth:`ParamSpec.add_arguments`,
and the studio renders its form from :meth:`ParamSpec.to_json`. A value outside its range
raises :class:`~generation.errors.GenerationParamError` naming the parameter by its label
and the range: ``Creative risk must be between 0.5 and 6, not 9.``
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from generation.errors import GenerationParamError

ParamKind = Literal["int", "float", "choice", "bool"]
ParamValue = int | float | str | bool


# Whole numbers past this are refused before any float conversion (a float holds every
# integer up to 2**53 exactly); longer texts are described, not quoted, in messages.
_LARGEST = 2**53
_LONGEST_SHOWN = 40


def _number(value: float) -> str:
    """``6.0`` -> ``"6"``, ``0.5`` -> ``"0.5"``: numbers as people write them."""
    return f"{value:g}"


@dataclass(frozen=True)
class Param:
    """One parameter: ``help`` is a single plain-English sentence for the studio."""

    name: str
    kind: ParamKind
    default: ParamValue
    help: str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name} needs choices")
        if self.kind in ("int", "float") and (self.minimum is None or self.maximum is None):
            raise ValueError(f"numeric parameter {self.name} needs a minimum and a maximum")
        # A spec with a default outside its own range is a programming error: fail at import.
        self.check(self.default)

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def allowed(self) -> str:
        """The allowed values in words: ``between 0.5 and 6``."""
        if self.kind == "choice":
            quoted = [repr(c) for c in self.choices]
            return "one of " + (
                quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
            )
        if self.kind == "bool":
            return "true or false"
        low, high = self._bounds()
        return f"between {_number(low)} and {_number(high)}"

    def _bounds(self) -> tuple[float, float]:
        # __post_init__ guarantees both for numeric parameters.
        return float(self.minimum or 0), float(self.maximum or 0)

    def _refuse(self, value: Any, what: str = "") -> GenerationParamError:
        """Named by its label, as people read it ("Creative risk"); ``param`` keeps the
        machine name for forms and clients."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return GenerationParamError(
                self.name, f"{self.title} is empty: give {what}{self.allowed()}."
            )
        shown = repr(value) if isinstance(value, str) else value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST:
            shown = f"a {len(str(abs(value)))}-digit number"  # not echoed in full
        elif isinstance(value, str) and len(value) > _LONGEST_SHOWN:
            shown = f"a {len(value)}-character text"
        elif isinstance(value, float) and not value.is_integer():
            shown = _number(value)
        elif isinstance(value, float):
            shown = int(value)
        return GenerationParamError(
            self.name, f"{self.title} must be {what}{self.allowed()}, not {shown}."
        )

    def check(self, value: Any) -> ParamValue:
        """``value`` converted to the parameter's type, or GenerationParamError."""
        if self.kind == "bool":
            return self._check_bool(value)
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise self._refuse(value)
            return value
        number = self._as_number(value)
        low, high = self._bounds()
        if not low <= number <= high:
            raise self._refuse(number)
        return number

    def _check_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._refuse(value)

    def _as_number(self, value: Any) -> int | float:
        what = "a whole number " if self.kind == "int" else "a number "
        if isinstance(value, bool):  # bool is an int in Python, but never a valid number here
            raise self._refuse(value, what)
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise self._refuse(value, what) from None
        if isinstance(value, int) and abs(value) > _LARGEST:
            # Beyond any range here, and float() of a 400-digit int raises OverflowError.
            raise self._refuse(value, what)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self._refuse(value, what)
        if self.kind == "int":
            if value != int(value):
                raise self._refuse(value, what)
            return int(value)
        return float(value)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "label": self.title,
            "type": self.kind,
            "default": self.default,
            "help": self.help,
        }
        if self.kind in ("int", "float"):
            data["min"], data["max"] = self.minimum, self.maximum
        if self.kind == "choice":
            data["choices"] = list(self.choices)
        if self.unit:
            data["unit"] = self.unit
        return data


Rule = Callable[[Mapping[str, ParamValue]], None]


@dataclass(frozen=True)
class ParamSpec:
    """The ordered parameters of one technique.

    ``rules`` check what one parameter's range cannot say alone (the Transformer's
    sampling threshold is k or p depending on the sampling technique): each gets the
    checked values and raises GenerationParamError naming the parameter at fault.
    """

    params: tuple[Param, ...] = field(default_factory=tuple)
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        for rule in self.rules:  # defaults that break a rule are a programming error
            rule(self.defaults())

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __getitem__(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params}

    def validate(self, values: Mapping[str, Any] | None = None) -> dict[str, ParamValue]:
        """Every parameter, checked and typed, defaults filling what ``values`` leaves out.

        Unknown names are refused rather than ignored, so a typo in an API call cannot
        silently run with the default.
        """
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            known = ", ".join(self.names) or "none"
            raise GenerationParamError(
                unknown[0], f"Unknown parameter {unknown[0]!r}; the parameters are {known}."
            )
        checked = {p.name: p.check(values.get(p.name, p.default)) for p in self.params}
        for rule in self.rules:
            rule(checked)
        return checked

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """One ``--option`` per parameter. Values arrive as strings and are checked by
        :meth:`validate`, so the CLI and the API give the same messages."""
        for param in self.params:
            shown = _number(param.default) if isinstance(param.default, float) else param.default
            parser.add_argument(
                param.option,
                dest=param.name,
                default=None,
                metavar=param.kind.upper()
                if param.kind != "choice"
                else "{" + ",".join(param.choices) + "}",
                help=f"{param.help} ({param.allowed()}; default {shown})",
            )

    def from_args(self, namespace: argparse.Namespace) -> dict[str, ParamValue]:
        """The validated parameters from a namespace filled by :meth:`add_arguments`."""
        given = {
            p.name: getattr(namespace, p.name)
            for p in self.params
            if getattr(namespace, p.name, None) is not None
        }
        return self.validate(given)

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.params]
