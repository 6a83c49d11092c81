"""Where checkpoints live: the shipped ones, and the archive of the ones they replaced.

Shipped weights are ``generation/checkpoints/<name>.pt`` (with ``<name>.json`` beside
them). When training writes a new shipped checkpoint (:func:`generation.checkpoint.
save_checkpoint`), the one it replaces moves, byte for byte with its meta, to
``generation/checkpoints/archive/<name>+<digest>/``: ``<digest>`` is the first 10 hex
digits of its sha256, the same digits the model version it made carries. So every claim
made with the old weights (a participant's own machine, the day before a deploy) can still
be run again and verified (:mod:`generation.versions`).

The archive is small by design: ``python manage.py model_versions`` says which archived
checkpoints a published entry depends on, and the others can be deleted.

No torch here: the registry and the web process read versions cheaply.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
ARCHIVE = "archive"
DIGEST_LENGTH = 10


def shipped_path(technique: str, style: str = "") -> Path:
    """``generation/checkpoints/<technique>[-<style>].pt``."""
    return checkpoint_path(f"{technique}-{style}" if style else technique)


def checkpoint_path(name: str) -> Path:
    """The shipped checkpoint called ``name`` (``gan-chorale``): ``<name>.pt``."""
    return CHECKPOINT_DIR / f"{name}.pt"


def archive_dir() -> Path:
    return CHECKPOINT_DIR / ARCHIVE


def is_shipped_path(path: Path) -> bool:
    """Whether ``path`` is where a shipped checkpoint lives (not a dry run's, not a test's)."""
    path = Path(path)
    return path.suffix == ".pt" and path.resolve().parent == CHECKPOINT_DIR.resolve()


@cache
def short_digest(path: Path) -> str:
    """The first 10 hex digits of the file's sha256, hashed once per process: a worker
    keeps the version of the weights it loaded even if training replaces them on disk
    (it runs the new ones, and says so, once restarted)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_LENGTH]


def forget_digests() -> None:
    """Hash the files again (after this process wrote new weights)."""
    short_digest.cache_clear()
    _shipped_digest.cache_clear()


def shipped_digest(name: str) -> str:
    """The shipped checkpoint's short digest, ``untrained`` if there is none."""
    return _shipped_digest(CHECKPOINT_DIR, name)


@cache
def _shipped_digest(folder: Path, name: str) -> str:
    path = checkpoint_path(name)
    return short_digest(path) if name and path.exists() else "untrained"


def archived_path(name: str, digest: str) -> Path:
    """Where the archive keeps checkpoint ``name`` with this digest (it may not exist)."""
    return archive_dir() / f"{name}+{digest}" / f"{name}.pt"


def archive_shipped(path: Path) -> Path | None:
    """Move the shipped checkpoint at ``path`` and its meta into the archive, before new
    weights take its place; the archived ``.pt`` (None: nothing shipped there, or not a
    shipped path). Weights already archived under the same digest are simply replaced."""
    path = Path(path)
    if not is_shipped_path(path) or not path.exists():
        return None
    target = archived_path(path.stem, short_digest(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = path.with_suffix(".json")
    if meta.exists():
        os.replace(meta, target.with_suffix(".json"))
    os.replace(path, target)
    return target


def drop_if_shipped_again(archived: Path, shipped: Path) -> None:
    """Training that wrote the very same weights again leaves nothing to archive."""
    if short_digest(archived) == short_digest(shipped):
        shutil.rmtree(archived.parent)


@dataclass(frozen=True)
class ArchivedCheckpoint:
    """One superseded checkpoint in the archive."""

    name: str  # the shipped name it had: ``gan-chorale``
    digest: str
    path: Path  # the .pt
    size: int  # bytes of the folder (weights, meta)

    @property
    def folder(self) -> str:
        return self.path.parent.name

    @property
    def git_revision(self) -> str:
        """The commit it was trained from, as its meta records it."""
        try:
            meta = json.loads(self.path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "unknown"
        return str(meta.get("git_revision", "unknown"))


def archived_checkpoints() -> list[ArchivedCheckpoint]:
    """Every checkpoint in the archive, by name then digest."""
    found = []
    root = archive_dir()
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        name, plus, digest = folder.name.rpartition("+")
        weights = folder / f"{name}.pt"
        if not plus or not weights.is_file():
            continue
        found.append(
            ArchivedCheckpoint(
                name=name,
                digest=digest,
                path=weights,
                size=sum(f.stat().st_size for f in folder.iterdir() if f.is_file()),
            )
        )
    return found


def known_weights(name: str) -> dict[str, Path | None]:
    """Every version of checkpoint ``name`` this service can load: digest -> the archived
    ``.pt``, or None for the shipped one."""
    weights: dict[str, Path | None] = {
        c.digest: c.path for c in archived_checkpoints() if c.name == name
    }
    if checkpoint_path(name).exists():
        weights[shipped_digest(name)] = None
    return weights
