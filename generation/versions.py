"""Model versions, and which of them this service can still run.

A version reads ``<technique>-<code_version>+<digest>``: ``digest`` is the first 10 hex
digits of the checkpoint's sha256 or, for a technique with several checkpoints (the GAN's
styles), of the sha256 of their digests joined by spaces. A version is

- ``shipped``: the weights in ``generation/checkpoints/`` make it;
- ``archived``: some of its weights are only in the archive (:mod:`generation.archive`),
  and the same sampling code runs them, so what it made can be made again;
- ``gone``: its weights were deleted, or it was made by other sampling code (another
  ``code_version``): nothing here can reproduce it.

No torch here: the web process and ``manage.py model_versions`` ask cheaply.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generation.archive import DIGEST_LENGTH, known_weights, shipped_digest

SHIPPED, ARCHIVED, GONE = "shipped", "archived", "gone"
VERSION = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)-(?P<code>[^+\s]+)\+(?P<digest>\S+)$")


@dataclass(frozen=True)
class VersionStatus:
    """Whether ``version`` can run here; ``reason`` says why not, in plain words."""

    version: str
    state: str  # SHIPPED, ARCHIVED or GONE
    reason: str = ""
    # The archived checkpoints it runs with (name -> .pt); any other comes from the shipped.
    weights: Mapping[str, Path] = field(default_factory=dict)


def combined_digest(digests: Sequence[str]) -> str:
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256(" ".join(digests).encode()).hexdigest()[:DIGEST_LENGTH]


def version_string(name: str, code_version: str, digests: Sequence[str]) -> str:
    return f"{name}-{code_version}+{combined_digest(digests)}"


def shipped_version(name: str, code_version: str, checkpoints: Sequence[str]) -> str:
    return version_string(name, code_version, [shipped_digest(c) for c in checkpoints])


def technique_of(version: str) -> str:
    """The technique a version names ("" when it does not read like a version)."""
    match = VERSION.match(version)
    return match["name"] if match else ""


def runnable_versions(
    name: str, code_version: str, checkpoints: Sequence[str]
) -> dict[str, VersionStatus]:
    """Every version the shipped and archived weights make with today's sampling code.

    Each checkpoint may be taken at any of its known digests, so the GAN's version from
    before one style was retrained is its old weights beside the other styles' current."""
    choices = [list(known_weights(checkpoint).items()) for checkpoint in checkpoints]
    versions = {}
    for combination in itertools.product(*choices):
        version = version_string(name, code_version, [digest for digest, _ in combination])
        weights = {
            checkpoint: path
            for checkpoint, (_, path) in zip(checkpoints, combination, strict=True)
            if path is not None
        }
        versions[version] = VersionStatus(version, ARCHIVED if weights else SHIPPED, "", weights)
    return versions


def version_status(
    name: str, code_version: str, checkpoints: Sequence[str], version: str
) -> VersionStatus:
    """Whether technique ``name`` (today's ``code_version``) can run ``version``."""
    current = shipped_version(name, code_version, checkpoints)
    if version == current:
        return VersionStatus(version, SHIPPED)
    match = VERSION.match(version)
    if match is None:
        return VersionStatus(
            version, GONE, f"{version!r} is not a model version (ours reads {current})"
        )
    if match["name"] != name:
        return VersionStatus(
            version, GONE, f"the model version {version} is not one of {name}'s (we run {current})"
        )
    if match["code"] != code_version:
        return VersionStatus(
            version,
            GONE,
            f"the model version {version} was made with generator code version "
            f"{match['code']}; this service runs {code_version}",
        )
    known = runnable_versions(name, code_version, checkpoints).get(version)
    if known is None:
        return VersionStatus(
            version,
            GONE,
            f"the model version {version} is no longer shipped or archived (we run {current})",
        )
    return known
