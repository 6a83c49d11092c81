"""The demo's host-built judge: Bach's chorales for the Christmas season.

Why this set: it is what a host would bring for "a Christmas carol challenge", it is in
the bundled corpus (no download, public-domain music; the encodings' licence is
music21's, see README), and as a subset of the shipped ``bach-chorales`` reference it
shows what a small set gives beside the whole corpus (README, "Host-built judges"). The
pieces are the chorales of the Christmas Oratorio (BWV 248) and of the cantatas for
Christmas to Epiphany, and Bach's settings of Christmas hymns found by their titles.

The build takes about five minutes on two cores, too long for ``make demo``: it is made
by ``manage.py build_demo_judge`` (in process, with the training task's own code), and
``load_demo`` then opens a challenge judged by it.
"""

from __future__ import annotations

from chartbusters.accounts.models import User
from chartbusters.core.errors import ApplicationError
from chartbusters.references.models import BuildState, JudgeBuild, ReferenceSet
from chartbusters.references.services import reference_set_add_corpus

SLUG = "christmas-chorales"
# Cantatas for Christmas Day to Epiphany, and the Christmas Oratorio.
CANTATAS = (
    "248", "40", "57", "63", "64", "65", "91", "110", "121", "122", "123", "133", "151",
    "152", "28", "190", "16", "41", "143", "171", "191", "197a", "214", "36", "61", "62",
)  # fmt: skip
HYMNS = (
    "dulci jubilo", "gelobet seist", "lobt gott, ihr christen", "vom himmel hoch",
    "puer natus", "nun komm, der heiden", "christum wir sollen", "kindelein",
    "wir christenleut", "freuet euch",
)  # fmt: skip
LICENCE = (
    "J. S. Bach (public domain); encodings from music21's bundled corpus (see its licence "
    "file: some encodings there are for non-commercial use)."
)


def demo_reference_set(*, owner: User) -> ReferenceSet:
    """The set, its pieces picked from the corpus (again: picks already in it are refused)."""
    reference_set, _ = ReferenceSet.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Christmas chorales (Bach)",
            "description": "Bach's chorales for the Christmas season",
            "licence_note": LICENCE,
            "owner": owner,
        },
    )
    terms = [f"bwv{number}." for number in CANTATAS] + [f"bwv{n}" for n in ("314", "368")]
    for term in [*terms, *HYMNS]:
        try:
            reference_set_add_corpus(
                reference_set=reference_set, corpus="bach-chorales", search=term, limit=50
            )
        except ApplicationError:
            continue  # no chorale of that cantata in the corpus
    return reference_set


def demo_judge() -> JudgeBuild | None:
    """The newest built version of the demo judge, if one is built."""
    return (
        JudgeBuild.objects.filter(reference_set__slug=SLUG, state=BuildState.BUILT)
        .order_by("-version")
        .first()
    )
