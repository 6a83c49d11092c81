"""Names that look alike: what stops one member from passing as another on the boards.

A member's public name is their display name, or their username when they have none, so
both must differ from every other member's username and display name *as a reader sees
them*. ``name_skeleton`` maps a name to what it looks like: compatibility forms folded
(NFKC: fullwidth "ｂｏｂ", ligatures, superscripts), case folded, accents, invisible
characters (zero-width spaces and joiners, bidi controls), spaces and punctuation dropped,
and common Cyrillic and Greek letters that look Latin mapped to the Latin letter. Two
names with the same skeleton are the same name here. This is a small subset of Unicode's
confusables (UTS #39); it covers the look-alikes that render identically in our fonts.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters drawn like a Latin one (after case folding), and the digits
# and letters people swap for each other. Extend it when a new look-alike turns up.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g", "ı": "i",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        "0": "o", "1": "l", "|": "l", "!": "l", "5": "s", "$": "s",
    }
)  # fmt: skip
# Dropped: marks (accents), separators (spaces), controls and format characters (the
# zero-width ones), punctuation and symbols ("bob." and "b_o_b" read as "bob").
_DROPPED_CATEGORIES = ("M", "Z", "C", "P", "S")


def name_skeleton(name: str) -> str:
    """What ``name`` looks like; equal skeletons mean names a reader cannot tell apart."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_LOOKALIKES)
    kept = "".join(
        char
        for char in unicodedata.normalize("NFKD", folded)
        if not unicodedata.category(char).startswith(_DROPPED_CATEGORIES)
    )
    if not kept:  # a name of symbols only ("🎵"): compare it as written, minus the invisible
        return "".join(c for c in folded if not unicodedata.category(c).startswith(("Z", "C")))
    # "I" and "l" are drawn alike in many fonts ("aIice" reads as "alice").
    return kept.replace("i", "l")
