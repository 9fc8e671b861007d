"""Which characters a name may not hold, and how company names are compared.

Pure functions over text, shared by the validator (:mod:`comarketing.accounts.validation`)
and the organization model, which keeps each name's folded form in a unique column.
"""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: zero-width spaces and joiners, bidi embeddings, overrides and
# isolates, the BOM, the soft hyphen), private-use (Co), surrogate (Cs) and unassigned (Cn).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
# Longest folded form stored: NFKC may expand a character into many.
MAX_FOLDED_LENGTH = 480


def invisible_character(text: str) -> str | None:
    """The first invisible or control character of ``text``, named ("U+202E RIGHT-TO-LEFT
    OVERRIDE"); None when there is none."""
    for ch in text:
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"
    return None


def fold_name(text: str) -> str:
    """How company names are compared for uniqueness: NFKC, case-folded (NFKC again, as
    folding can denormalise), invisible characters dropped, runs of white space one space.
    "ACME\\u00a0Foods", "acme foods", fullwidth "\\uff21cme Foods" and "Ac\\u200bme Foods"
    fold the same."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)
    return " ".join(visible.split())[:MAX_FOLDED_LENGTH]
