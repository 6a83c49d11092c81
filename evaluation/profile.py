"""Reference profiles: everything the judge knows about a challenge's reference music.

A profile is a folder under ``evaluation/profiles/NAME/``:

- ``profile.json``: name, description, corpus and split sizes, the descriptor reference
  (per-descriptor values of the training pieces, and of their 4- and 8-bar excerpts,
  against which a piece that short is judged), embedding statistics with the
  calibrated out-of-distribution threshold and distance scale, and build metadata;
- ``critic.pt``: the calibrated critic ensemble (plain state dicts);
- ``novelty.npz``: the novelty index of every reference piece and sample melody;
- ``tune_critic.pt`` (where the profile has one): the calibrated whole-tune critic
  (:mod:`evaluation.tune_critic`), which judges the melody end to end beside the window
  critics.

Every profile also judges with the shared general musicality critic
(:mod:`evaluation.musicality`, ``evaluation/musicality/critic.pt``); its weights are part
of the profile's digest, so retraining it changes every evaluator version.

``python -m evaluation build-profile NAME`` rebuilds one from the committed corpus split
(``music/splits/``); the result is deterministic for a seed up to torch's CPU kernels.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.critic import CriticEnsemble
from evaluation.frechet import EmbeddingReference
from evaluation.musicality import MODEL_DIR as MUSICALITY_DIR
from evaluation.musicality import Musicality, load_musicality
from evaluation.novelty import NoveltyIndex
from evaluation.tune_critic import TuneCritic
from evaluation.typicality import DescriptorReference
from evaluation.windows import WindowSpec, score_windows
from music.beats import ONSET_GAP
from music.score import Score

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "bach-chorales"
TUNE_CRITIC_FILE = "tune_critic.pt"


@dataclass(frozen=True)
class ProfileSpec:
    """What a shipped profile is built from."""

    name: str
    corpus: str
    description: str
    # Whether builds train the whole-tune critic. On where it was measured to help:
    # folk (single lines, whose reversed or shuffled tunes fool the window critics:
    # AUROC 0.760 -> 0.978 reversed, 0.885 -> 0.982 shuffled). On the Bach chorales,
    # where the window critics already separate every family, its reading of the
    # soprano only cost (real median 87.7 -> 82.2, reversed 1.000 -> 0.993): off there.
    tune_critic: bool = False


PROFILE_SPECS = {
    spec.name: spec
    for spec in (
        ProfileSpec(
            "bach-chorales",
            "bach-chorales",
            "J. S. Bach's four-part chorales (music21 corpus): SATB harmony, the classic "
            "Chartbusters 'Bach to the Future' reference.",
        ),
        ProfileSpec(
            "folk",
            "folk",
            "Folk melodies: Essen folksongs, Ryan's Mammoth Collection and O'Neill's 1850 "
            "(music21 corpus). Single-line tunes.",
            tune_critic=True,
        ),
        ProfileSpec(
            "renaissance",
            "renaissance",
            "Renaissance polyphony: Palestrina and Monteverdi (music21 corpus).",
        ),
    )
}


class ProfileError(LookupError):
    """No such profile, or its files are missing or damaged."""


@dataclass
class Profile:
    name: str
    description: str
    corpus: str
    window_spec: WindowSpec
    descriptors: DescriptorReference
    embedding: EmbeddingReference
    critic: CriticEnsemble
    novelty: NoveltyIndex
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    tune_critic: TuneCritic | None = None
    # Bars -> the reference of the training pieces cut into excerpts of that many bars
    # (empty in a profile built before there were any: every piece is judged as whole).
    excerpt_descriptors: dict[int, DescriptorReference] = field(default_factory=dict)
    # The shared general musicality critic (None where none is built: no musicality floor).
    musicality: Musicality | None = None

    def windows(self, score: Score) -> np.ndarray:
        return score_windows(score, self.window_spec)

    @cached_property
    def onset_gap(self) -> float:
        """The reference music's median of the mean beats between onsets: what a beat is
        in this music, for a played piece written out on its own beat
        (:func:`music.beats.follow_beat`)."""
        gap = self._reference_median("ioi_mean")
        return ONSET_GAP if gap is None else gap

    @cached_property
    def bar_notes(self) -> float | None:
        """The reference music's median notes a bar: how long a bar is in this music, for
        a piece written in other note values (:func:`music.canonical.plain_note_values`)."""
        return self._reference_median("notes_per_bar")

    def _reference_median(self, descriptor: str) -> float | None:
        """The median of one descriptor over the reference pieces (None: not described)."""
        if descriptor not in self.descriptors.names:
            return None
        values = self.descriptors.values[self.descriptors.names.index(descriptor)]
        return float(np.median(values)) if len(values) else None

    def descriptor_reference(self, bars: int) -> DescriptorReference:
        """The reference a piece of ``bars`` bars is compared with: the shortest excerpt
        length it fits in, else the whole pieces. An 8-bar piece is typical when it is
        like 8 bars of the reference music, not when it is as varied as a whole piece."""
        fitting = [length for length in self.excerpt_descriptors if bars <= length]
        return self.excerpt_descriptors[min(fitting)] if fitting else self.descriptors

    # ----- persistence -------------------------------------------------------------

    def save(self, directory: Path, *, novelty_index: bool = True) -> None:
        """Write the profile (all but the novelty index unless asked: adding a member
        to a profile leaves its index file alone)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.critic.save(directory / "critic.pt")
        if novelty_index:
            self.novelty.save(directory / "novelty.npz")
        tune_path = directory / TUNE_CRITIC_FILE
        if self.tune_critic is not None:
            self.tune_critic.save(tune_path)
        elif tune_path.exists():
            tune_path.unlink()  # a stale member must not judge beside a new ensemble
        document = {
            "name": self.name,
            "description": self.description,
            "corpus": self.corpus,
            "window_spec": _spec_to_json(self.window_spec),
            "descriptors": self.descriptors.to_json(),
            "descriptor_excerpts": {
                str(bars): reference.to_json()
                for bars, reference in sorted(self.excerpt_descriptors.items())
            },
            "embedding": self.embedding.to_json(),
            "meta": self.meta,
        }
        (directory / "profile.json").write_text(json.dumps(document, indent=1) + "\n")
        self.digest = _digest(directory, self.musicality)

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        novelty_index: bool = True,
        tune_critic: bool = True,
        musicality_dir: Path | None = MUSICALITY_DIR,
    ) -> Profile:
        """The profile in ``directory`` (with an empty novelty index, or no whole-tune
        critic, where asked: a rebuild that replaces one need not read the old one),
        judging with the musicality critic in ``musicality_dir`` (None: without one)."""
        try:
            document = json.loads((directory / "profile.json").read_text())
            critic = CriticEnsemble.load(directory / "critic.pt")
            tune_path = directory / TUNE_CRITIC_FILE
            member = TuneCritic.load(tune_path) if tune_critic and tune_path.exists() else None
            novelty = (
                NoveltyIndex.load(directory / "novelty.npz") if novelty_index else NoveltyIndex()
            )
            musicality = load_musicality(musicality_dir) if musicality_dir is not None else None
        except (OSError, ValueError, KeyError) as exc:
            raise ProfileError(f"The profile in {directory} cannot be read: {exc}") from exc
        return cls(
            name=document["name"],
            description=document["description"],
            corpus=document["corpus"],
            window_spec=WindowSpec(**document["window_spec"]),
            descriptors=DescriptorReference.from_json(document["descriptors"]),
            embedding=EmbeddingReference.from_json(document["embedding"]),
            critic=critic,
            novelty=novelty,
            meta=document.get("meta", {}),
            digest=_digest(directory, musicality) if novelty_index else "",
            tune_critic=member,
            excerpt_descriptors={
                int(bars): DescriptorReference.from_json(data)
                for bars, data in document.get("descriptor_excerpts", {}).items()
            },
            musicality=musicality,
        )


def _spec_to_json(spec: WindowSpec) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(spec)


def _digest(directory: Path, musicality: Musicality | None = None) -> str:
    digest = hashlib.sha256()
    for name in ("profile.json", "critic.pt", "novelty.npz"):
        digest.update((directory / name).read_bytes())
    if (directory / TUNE_CRITIC_FILE).exists():
        digest.update((directory / TUNE_CRITIC_FILE).read_bytes())
    if musicality is not None:  # the shared critic judges too: a new one is a new judge
        digest.update(bytes.fromhex(musicality.digest))
    return digest.hexdigest()


def available_profiles(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.parent.name for p in directory.glob("*/profile.json"))


@cache
def load_profile(name: str = DEFAULT_PROFILE, directory: Path = PROFILES_DIR) -> Profile:
    """A shipped (or built) profile by name; cached for the life of the process."""
    path = directory / name
    if not (path / "profile.json").exists():
        known = ", ".join(available_profiles(directory)) or "none"
        raise ProfileError(f"No profile named {name!r}. Available: {known}.")
    return Profile.load(path)
