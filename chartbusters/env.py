"""Strict readers for configuration from environment variables.

Every setting the service reads comes through these helpers, so a typo in a deployment
("DEBUG=flase", "PORT=80x") stops the process with a message instead of silently
picking a default. Secrets can also come from a file named by ``NAME_FILE`` (Docker and
Kubernetes secrets), which wins over nothing but loses to an explicit ``NAME``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """A configuration value is malformed; the message names the variable."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value is None or value == "":
        return None
    return value


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Only the exact words ``True`` and ``False`` are accepted."""
    value = _raw(name, environ)
    if value is None:
        return default
    if value == "True":
        return True
    if value == "False":
        return False
    raise ConfigError(f"{name} must be True or False, not {value!r}.")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items are ignored."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Rate:
    """At most ``count`` events in each fixed window of ``seconds``."""

    count: int
    seconds: int


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str, environ: Mapping[str, str] | None = None) -> Rate:
    """``COUNT/WINDOW`` with the window in s, m, h or d and an optional multiple:
    ``10/15m`` is ten per fifteen minutes, ``5/h`` five an hour."""
    value = _raw(name, environ) or default
    match = _RATE.match(value)
    count, multiple = (int(match.group(1)), int(match.group(2) or 1)) if match else (0, 0)
    if match is None or count < 1 or multiple < 1:
        raise ConfigError(
            f"{name} must look like 10/15m (a count of at least 1 per s, m, h or d), not {value!r}."
        )
    return Rate(count=count, seconds=multiple * _UNIT_SECONDS[match.group(3)])


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of ``NAME``, else the stripped contents of the file named by ``NAME_FILE``."""
    value = _raw(name, environ)
    if value is not None:
        return value
    path = _raw(f"{name}_FILE", environ)
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE names {path!r}, which cannot be read: {exc}.") from None


@dataclass(frozen=True)
class DatabaseUrl:
    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: dict[str, str] | None = None

    def as_django(self) -> dict[str, object]:
        config: dict[str, object] = {
            "ENGINE": self.engine,
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
        }
        if self.options:
            config["OPTIONS"] = dict(self.options)
        return config


_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url: str, *, variable: str = "DATABASE_URL") -> DatabaseUrl:
    """``sqlite:///relative/or//absolute/path`` or ``postgres://user:pass@host:port/name``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///db.sqlite3 is relative, sqlite:////var/db.sqlite3 absolute.
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ConfigError(f"{variable} has no database file: {url!r}.")
        return DatabaseUrl(engine="django.db.backends.sqlite3", name=path)
    if parts.scheme in _POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"{variable} names no database: {url!r}.")
        try:
            port = "" if parts.port is None else str(parts.port)
        except ValueError:
            raise ConfigError(f"{variable} has a bad port: {url!r}.") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return DatabaseUrl(
            engine="django.db.backends.postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=port,
            options=options or None,
        )
    raise ConfigError(
        f"{variable} must start with sqlite:// or postgres://, not {parts.scheme or url!r}."
    )
