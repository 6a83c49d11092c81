"""``python manage.py model_versions``: the model versions entries and studio compositions
name, and whether the service can still run each one (shipped, archived, or gone).

It is the tool for keeping the checkpoint archive small: it lists the archived checkpoints
no entry depends on (their folders can be deleted), and exits non-zero when an entry
depends on a version that is gone, so a deploy script can stop before it loses one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chartbusters.studio import generators
from chartbusters.studio.selectors import VersionUse, model_version_uses


def _count(number: int, word: str, plural: str = "") -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


def describe(status: generators.VersionStatus, use: VersionUse) -> str:
    """One version's line: its state, who names it, and where its weights are."""
    uses = ", ".join(
        [
            _count(use.depending, "entry", "entries") + " depending",
            _count(use.other_entries, "other entry", "other entries"),
            _count(use.compositions, "composition"),
        ]
    )
    line = f"{status.version}  {status.state}  ({uses})"
    if status.state == generators.ARCHIVED:
        folders = ", ".join(sorted(path.parent.name for path in status.weights.values()))
        line += f": archived weights {folders}"
    if status.state == generators.GONE:
        line += f": {status.reason}"
    return line


class Command(BaseCommand):
    help = (
        "List the model versions entries and studio compositions name, and whether each "
        "is shipped, archived (still verifiable) or gone; list the archived checkpoints no "
        "entry depends on (safe to delete). Exits 1 when an entry depends on a version "
        "that is gone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        uses = model_version_uses()
        statuses = {version: generators.version_status(version) for version in uses}
        self.stdout.write(f"{_count(len(uses), 'model version')} named:")
        for version in sorted(uses):
            self.stdout.write(describe(statuses[version], uses[version]))
        needed: set[Path] = {
            path.parent
            for version, status in statuses.items()
            if uses[version].depending
            for path in status.weights.values()
        }
        unused = [c for c in generators.archived_checkpoints() if c.path.parent not in needed]
        self.stdout.write(
            f"{_count(len(unused), 'archived checkpoint')} no entry depends on"
            + (" (delete these folders to prune the archive):" if unused else ".")
        )
        for checkpoint in unused:
            self.stdout.write(f"  {checkpoint.path.parent}  {checkpoint.size / 1e6:.1f} MB")
        lost = sorted(
            v for v, s in statuses.items() if s.state == generators.GONE and uses[v].depending
        )
        if lost:
            raise CommandError(
                f"Entries depend on {_count(len(lost), 'model version')} this service can no "
                f"longer run: {', '.join(lost)}. Put a deleted checkpoint back in "
                "generation/checkpoints/archive/<name>+<digest>/; a version of other generator "
                "code cannot run here."
            )
