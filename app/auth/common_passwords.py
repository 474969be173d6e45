"""The passwords people choose most often, which a new account may not use.

The list is zxcvbn's frequency list of leaked passwords (the 30,000 most common, shipped inside
the package, so nothing is fetched at run time). Only the ones our minimum length admits can
ever match; a password is compared in NFKC and case-folded, so `Password123` and the same
letters in fullwidth forms count as `password123`.
"""

from __future__ import annotations

import unicodedata
from functools import cache


@cache
def _common() -> frozenset[str]:
    # Imported on first use: the package's import builds all of its word lists (~0.2 s), which
    # every worker would otherwise pay before it can answer the supervisor's health ping.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - see above

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    return unicodedata.normalize("NFKC", password).casefold() in _common()
