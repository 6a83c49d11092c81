"""Writes to reference sets: adding pieces (uploads and corpus picks), with the report of
what was refused and why, and the near-duplicates marked."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.db import transaction

from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator import building
from chartbusters.references.models import PieceOrigin, ReferencePiece, ReferenceSet
from music.score import Score

MAX_FILES_PER_UPLOAD = 1000
MAX_MIDI_BYTES = 512 * 1024  # as an entry (music.midi_limits.Limits.max_bytes)
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MIDI_SUFFIXES = (".mid", ".midi")
MAX_CORPUS_PICK = 2000


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def refuse(self, name: str, reason: str) -> None:
        self.refused.append({"file": name, "reason": reason})

    def summary(self) -> str:
        text = f"{len(self.added)} piece(s) added, {len(self.refused)} refused"
        return text + (" (see “Refused in the last upload” below)." if self.refused else ".")


def expand_uploads(files: list[tuple[str, bytes]], report: AddReport) -> list[tuple[str, bytes]]:
    """Zip archives opened into their MIDI files (folders flattened to file names);
    anything that is not a MIDI file is refused in the report."""
    out: list[tuple[str, bytes]] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            out += _unzip(name, data, report)
        elif name.lower().endswith(MIDI_SUFFIXES):
            out.append((_base(name), data))
        else:
            report.refuse(name, "Not a MIDI file (.mid or .midi) or a zip of them.")
    if len(out) > MAX_FILES_PER_UPLOAD:
        raise ApplicationError(
            f"{len(out)} files in one upload; upload at most {MAX_FILES_PER_UPLOAD} at a time."
        )
    return out


def _base(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name


def _unzip(name: str, data: bytes, report: AddReport) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        report.refuse(name, "Not a readable zip archive.")
        return []
    members, total = [], 0
    for info in archive.infolist():
        base = _base(info.filename)
        if info.is_dir() or base.startswith(".") or "__MACOSX" in info.filename:
            continue
        if not base.lower().endswith(MIDI_SUFFIXES):
            report.refuse(f"{name}/{info.filename}", "Not a MIDI file (.mid or .midi).")
            continue
        if info.file_size > MAX_MIDI_BYTES:
            report.refuse(f"{name}/{info.filename}", "Larger than 512 KB, the limit for a piece.")
            continue
        total += info.file_size
        if total > MAX_UNZIPPED_BYTES:
            raise ApplicationError("The zip unpacks to more than 200 MB; split it up.")
        try:
            members.append((base, archive.read(info)))
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            report.refuse(f"{name}/{info.filename}", f"Cannot be unpacked ({exc}).")
    return members


def reference_set_add_files(
    *, reference_set: ReferenceSet, files: list[tuple[str, bytes]]
) -> AddReport:
    """Add uploaded MIDI files and zips; each file through the entry checks."""
    report = AddReport()
    checked: list[tuple[str, building.CheckedPiece, bytes]] = []
    for name, data in expand_uploads(files, report):
        try:
            checked.append((name, building.check_reference_piece(data), data))
        except ApplicationError as exc:
            report.refuse(name, exc.message)
    rows = [
        ReferencePiece(
            reference_set=reference_set,
            name=name[:255],
            title=piece.score.title[:255],
            origin=PieceOrigin.UPLOAD,
            midi=data,
            content_hash=piece.content_hash,
            notes=piece.notes,
        )
        for name, piece, data in checked
    ]
    _store(reference_set, rows, report)
    return report


def reference_set_add_corpus(
    *, reference_set: ReferenceSet, corpus: str, search: str, limit: int
) -> AddReport:
    """Add up to ``limit`` pieces of a bundled corpus matching ``search``."""
    if not 1 <= limit <= MAX_CORPUS_PICK:
        raise ApplicationError(f"Pick between 1 and {MAX_CORPUS_PICK} pieces.")
    report = AddReport()
    picked = building.corpus_pick(corpus, search, limit)
    if not picked:
        raise ApplicationError(f"No piece of {corpus} matches “{search}”.")
    rows = []
    for piece_id, title, score in picked:
        notes = sum(len(t.notes) for t in score.pitched_tracks())
        rows.append(
            ReferencePiece(
                reference_set=reference_set,
                name=piece_id,
                title=title[:255],
                origin=PieceOrigin.CORPUS,
                content_hash=building.content_hash(score),
                notes=notes,
            )
        )
    _store(reference_set, rows, report)
    return report


def _store(reference_set: ReferenceSet, rows: list[ReferencePiece], report: AddReport) -> None:
    """Keep the rows that repeat nothing already in the set (or earlier in ``rows``)."""
    with transaction.atomic():
        locked = ReferenceSet.objects.select_for_update().get(pk=reference_set.pk)
        existing = dict(locked.pieces.values_list("content_hash", "name"))
        names = set(existing.values())
        fresh = []
        for row in rows:
            if row.content_hash in existing:
                report.refuse(row.name, f"The same music as {existing[row.content_hash]}.")
            elif row.name in names:
                report.refuse(row.name, "A piece of that name is already in the set.")
            else:
                existing[row.content_hash] = row.name
                names.add(row.name)
                fresh.append(row)
        ReferencePiece.objects.bulk_create(fresh)
        report.added = [row.name for row in fresh]
        locked.last_refusals = report.refused
        locked.save(update_fields=["last_refusals"])
    reference_set_mark_near_duplicates(reference_set=reference_set)


def reference_set_scores(reference_set: ReferenceSet) -> list[tuple[str, Score]]:
    """Every piece of the set as a Score, in name order (corpus picks from the cache)."""
    pieces = list(reference_set.pieces.order_by("name"))
    corpus = building.corpus_scores([p.name for p in pieces if p.origin == PieceOrigin.CORPUS])
    scores = []
    for piece in pieces:
        if piece.origin == PieceOrigin.CORPUS:
            if piece.name in corpus:
                scores.append((piece.name, corpus[piece.name]))
        else:
            midi = bytes(piece.midi or b"")
            scores.append((piece.name, building.check_reference_piece(midi).score))
    return scores


def reference_set_mark_near_duplicates(*, reference_set: ReferenceSet) -> int:
    """Mark each piece that repeats an earlier one note for note; how many do."""
    twins = building.near_duplicates(reference_set_scores(reference_set))
    with transaction.atomic():
        pieces = list(reference_set.pieces.select_for_update())
        for piece in pieces:
            twin, share = twins.get(piece.name, ("", None))
            piece.near_duplicate_of, piece.near_duplicate_alignment = twin, share
        ReferencePiece.objects.bulk_update(
            pieces, ["near_duplicate_of", "near_duplicate_alignment"]
        )
    return len(twins)
