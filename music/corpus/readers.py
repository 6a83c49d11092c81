"""Readers: one corpus file in, zero or more ``CorpusPiece`` out.

MusicXML goes through ``muspy.read`` (about 10x faster than music21's parser; muspy's
music21 bridge is broken with music21 10, so we never use it). Humdrum goes through
music21. ABC goes through music21's ABC *tokenizer* only: its stream translation costs
~33 ms a tune (beaming and re-barring we do not need) and drops notes that carry a
``">"`` annotation, while the tokens already hold pitches with key signature and
accidentals applied, lengths, tuplets, ties, chords and grace flags.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from music.corpus.convert import (
    CorpusPiece,
    QuarterNote,
    make_score,
    pickup_pad,
    quantised_track,
)
from music.score import Track

Reader = Callable[[Path, str, str], list[CorpusPiece]]
"""``reader(path, collection, source) -> pieces``; an empty list means "rejected"."""

SATB = ("soprano", "alto", "tenor", "bass")


class RejectedFile(Exception):
    """The file parsed but is not what the corpus wants (say why in the message)."""


# ----- MusicXML via muspy ----------------------------------------------------------


def _musicxml_bytes(path: Path) -> bytes:
    if path.suffix != ".mxl":
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        # Trusted input: files of the installed music21 wheel, never user uploads.
        container = ET.fromstring(archive.read("META-INF/container.xml"))  # noqa: S314
        rootfile = next(e.get("full-path") for e in container.iter() if e.get("full-path"))
        return archive.read(str(rootfile))


def _score_parts(path: Path) -> list[tuple[str, set[str]]]:
    """(part name, names muspy may give its tracks) for each score part, in score order."""
    data = _musicxml_bytes(path)
    start, end = data.find(b"<part-list"), data.find(b"</part-list>")
    if start < 0 or end < 0:
        return []
    parts = []
    part_list = ET.fromstring(data[start : end + len(b"</part-list>")])  # noqa: S314 (as above)
    for part in part_list.iter("score-part"):
        part_name = " ".join((part.findtext("part-name") or "").split())
        aliases = {part_name}
        aliases.update(" ".join((i.text or "").split()) for i in part.iter("instrument-name"))
        parts.append((part_name, aliases))
    return parts


def _align_part_names(track_names: list[str], parts: list[tuple[str, set[str]]]) -> list[str]:
    """Give each muspy track its part's name.

    muspy names a track after its *instrument* (often "Instrument 3" or "Grand Piano" for
    every part) and emits tracks in part order, one per instrument, so walk both lists
    together; a track that matches no later part keeps muspy's name.
    """
    names = []
    part_index = 0
    for track_name in track_names:
        index = part_index
        while index < len(parts) and track_name not in parts[index][1]:
            index += 1
        if index < len(parts):
            names.append(parts[index][0])
            # A part with one instrument (aliases: its name and the instrument's) yields
            # one track, so move on; a multi-instrument part may yield more tracks.
            single_instrument = len(parts[index][1]) <= 2
            part_index = index + 1 if single_instrument else index
        else:
            names.append(track_name)
    return names


def _muspy_tracks(path: Path) -> tuple[list[tuple[str, list[QuarterNote]]], dict[str, object]]:
    import muspy  # deferred: muspy pulls in heavy optional modules

    music = muspy.read(path)
    resolution = music.resolution
    names = _align_part_names([t.name or "" for t in music.tracks], _score_parts(path))
    tracks = [
        (
            name,
            [
                (Fraction(n.time, resolution), n.pitch, Fraction(n.duration, resolution))
                for n in track.notes
            ],
        )
        for name, track in zip(names, music.tracks, strict=True)
    ]
    if not music.time_signatures:
        raise RejectedFile("no time signature")
    first_ts = music.time_signatures[0]
    time_signature = (first_ts.numerator, first_ts.denominator)
    bar = Fraction(4 * first_ts.numerator, first_ts.denominator)
    barlines = sorted({b.time for b in music.barlines})
    first_bar = Fraction(barlines[1] - barlines[0], resolution) if len(barlines) > 1 else bar
    info: dict[str, object] = {
        "time_signature": time_signature,
        "tempo": music.tempos[0].qpm if music.tempos else None,
        "pad": pickup_pad(first_bar, bar),
        "title": (music.metadata.title or "").strip(),
    }
    return tracks, info


@functools.cache
def _chorale_titles() -> dict[str, str]:
    from music21.corpus.chorales import ChoraleListRKBWV

    return {str(bwv): str(entry["title"]) for bwv, entry in ChoraleListRKBWV().byBWV.items()}


def chorale_title(stem: str) -> str:
    """``bwv120.8-a`` -> ``"Nun danket alle Gott (BWV 120.8-a)"`` where the hymn is known."""
    number = stem.removeprefix("bwv")
    titles = _chorale_titles()
    hymn = titles.get(number) or titles.get(number.split("-")[0])
    return f"{hymn} (BWV {number})" if hymn else f"BWV {number}"


def _voice(part_name: str) -> str:
    words = part_name.lower().split()
    return words[0] if words else ""


def read_chorale(path: Path, collection: str, source: str) -> list[CorpusPiece]:
    """A 4-part chorale: the Soprano, Alto, Tenor and Bass parts, in that order.

    Instrumental parts (horns, trumpets, continuo doubling the voices) are dropped; a
    file without exactly one part per voice (two sopranos, a keyboard piece) is rejected.
    """
    tracks, info = _muspy_tracks(path)
    by_voice: dict[str, list[list[QuarterNote]]] = {}
    for name, notes in tracks:
        by_voice.setdefault(_voice(name), []).append(notes)
    if any(len(by_voice.get(voice, [])) != 1 for voice in SATB):
        raise RejectedFile("not one part each for soprano, alto, tenor and bass")
    pad = info["pad"]
    assert isinstance(pad, Fraction)
    score_tracks = [
        quantised_track(by_voice[voice][0], name=voice.capitalize(), pad=pad) for voice in SATB
    ]
    return [_piece(path, collection, source, score_tracks, info, chorale_title(path.stem))]


def read_musicxml(path: Path, collection: str, source: str) -> list[CorpusPiece]:
    """Every part of a MusicXML score, in score order."""
    tracks, info = _muspy_tracks(path)
    pad = info["pad"]
    assert isinstance(pad, Fraction)
    score_tracks = [quantised_track(notes, name=name, pad=pad) for name, notes in tracks]
    title = str(info["title"]) or path.stem
    return [_piece(path, collection, source, score_tracks, info, title)]


def _piece(
    path: Path,
    collection: str,
    source: str,
    tracks: list[Track],
    info: dict[str, object],
    title: str,
) -> CorpusPiece:
    tracks = [t for t in tracks if t.notes]
    if not tracks:
        raise RejectedFile("no notes")
    time_signature = info["time_signature"]
    tempo = info["tempo"]
    assert isinstance(time_signature, tuple)
    assert tempo is None or isinstance(tempo, float | int)
    score = make_score(tracks, time_signature=time_signature, tempo=tempo, title=title)
    return CorpusPiece(id=f"{collection}/{path.stem}", source=source, title=title, score=score)


# ----- Humdrum via music21 -----------------------------------------------------------


def read_humdrum(path: Path, collection: str, source: str) -> list[CorpusPiece]:
    """Every spine of a Humdrum file, top voice first, ties merged."""
    from music21 import converter, meter, stream

    parsed = converter.parse(path, forceSource=True, storePickle=False)
    assert isinstance(parsed, stream.Score)
    time_signature_obj = parsed.recurse().getElementsByClass(meter.TimeSignature).first()
    if time_signature_obj is None:
        raise RejectedFile("no time signature")
    time_signature = (time_signature_obj.numerator, time_signature_obj.denominator)
    bar = Fraction(time_signature_obj.barDuration.quarterLength)
    tracks = []
    pad = Fraction(0)
    for index, part in enumerate(parsed.parts):
        first = part.getElementsByClass(stream.Measure).first()
        if index == 0 and first is not None:
            pad = pickup_pad(Fraction(first.duration.quarterLength), bar)
            if first.paddingLeft:
                pad = Fraction(first.paddingLeft)
        notes: list[QuarterNote] = [
            (Fraction(el.offset), p.midi, Fraction(el.quarterLength))
            for el in part.stripTies().flatten().notes
            if el.quarterLength > 0
            for p in el.pitches
        ]
        tracks.append(quantised_track(notes, name=part.partName or f"Voice {index + 1}", pad=pad))
    title = (parsed.metadata.title if parsed.metadata else None) or path.stem
    info: dict[str, object] = {"time_signature": time_signature, "tempo": None}
    return [_piece(path, collection, source, tracks, info, str(title))]


# ----- ABC via music21's tokenizer -------------------------------------------------


@functools.cache
def _midi_number(pitch_name: str) -> int:
    from music21 import pitch

    return int(pitch.Pitch(pitch_name).midi)


def _tune_notes(
    handler: object,
) -> tuple[list[QuarterNote], tuple[int, int] | None, str, float | None, Fraction]:
    """(notes, meter, title, tempo, first bar length) of one tokenized ABC tune."""
    from music21 import abcFormat

    assert isinstance(handler, abcFormat.ABCHandler)
    position = Fraction(0)
    notes: list[QuarterNote] = []
    sounding: dict[int, int] = {}  # pitch -> index in notes of a note whose tie is open
    meter: tuple[int, int] | None = None
    meter_seen = False
    title, tempo, first_bar = "", None, Fraction(0)
    for token in handler.tokens:
        if isinstance(token, abcFormat.ABCMetadata):
            if token.isMeter() and not meter_seen:
                meter_seen = True
                ts = token.getTimeSignatureObject()
                meter = (ts.numerator, ts.denominator) if ts is not None else None
            elif token.isTitle() and not title:
                title = token.data.strip()
            elif token.isTempo() and tempo is None:
                mark = token.getMetronomeMarkObject()
                if mark is not None and mark.number:
                    tempo = float(mark.getQuarterBPM() or mark.number)
            continue
        if isinstance(token, abcFormat.ABCBar):
            if not first_bar and position > 0:
                first_bar = position
            continue
        if not isinstance(token, abcFormat.ABCNote) or token.inGrace:
            continue
        length = Fraction(token.quarterLength).limit_denominator(1000)
        if token.activeTuplet is not None:
            length *= Fraction(token.activeTuplet.tupletMultiplier()).limit_denominator(1000)
        if isinstance(token, abcFormat.ABCChord):
            pitches = [
                _midi_number(sub.pitchName)
                for sub in token.subTokens
                if isinstance(sub, abcFormat.ABCNote) and not sub.isRest and sub.pitchName
            ]
        elif token.isRest or not token.pitchName:
            pitches = []
        else:
            pitches = [_midi_number(token.pitchName)]
        for pitch in pitches:
            open_index = sounding.pop(pitch, None)
            if open_index is not None and token.tie in ("stop", "continue"):
                onset, _, held = notes[open_index]
                notes[open_index] = (onset, pitch, held + length)
                index = open_index
            else:
                notes.append((position, pitch, length))
                index = len(notes) - 1
            if token.tie in ("start", "continue"):
                sounding[pitch] = index
        position += length
    return notes, meter, title, tempo, first_bar


def read_abc(path: Path, collection: str, source: str) -> list[CorpusPiece]:
    """Every tune of a (multi-tune) ABC file; tunes without a meter are left out."""
    from music21 import abcFormat

    abc_file = abcFormat.ABCFile()
    abc_file.open(str(path))
    try:
        handler = abc_file.read()
    finally:
        abc_file.close()
    pieces = []
    for number, tune in handler.splitByReferenceNumber().items():
        notes, meter, title, tempo, first_bar = _tune_notes(tune)
        if meter is None or not notes:
            continue  # free-metre ("M: none") tunes have no bar grid to put them on
        bar = Fraction(4 * meter[0], meter[1])
        pad = pickup_pad(first_bar, bar) if first_bar else Fraction(0)
        track = quantised_track(notes, name="Melody", pad=pad)
        # Some Essen titles carry stray control bytes (DOS code-page umlauts): drop them.
        title = "".join(ch for ch in re.sub(r"\s+", " ", title) if ch.isprintable())
        title = title or f"{path.stem} #{number}"
        score = make_score([track], time_signature=meter, tempo=tempo, title=title)
        piece_id = f"{collection}/{path.stem}#{number}"
        pieces.append(CorpusPiece(id=piece_id, source=source, title=title, score=score))
    return pieces
