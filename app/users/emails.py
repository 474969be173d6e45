"""One spelling per mailbox: the form in which emails are stored, compared and looked up."""

from __future__ import annotations

import unicodedata


def normalise_email(value: str) -> str:
    """``value`` in Unicode NFKC, trimmed and lower-cased.

    NFKC turns compatibility forms (fullwidth letters and at signs, ligatures such as U+FB01 "fi",
    mathematical letters) into the plain letters they stand for, so a look-alike spelling
    names the same account as the plain one instead of registering a second account.

    Lower-casing uses ``str.lower`` rather than ``str.casefold``: the column's check
    (``email = lower(email)``) runs PostgreSQL's ``lower``, which agrees with ``str.lower`` on
    every code point, whereas ``casefold`` maps some lower-case letters (Cherokee) to
    upper-case ones that the check would refuse. NFKC runs again last because lower-casing
    can make a sequence composable; the result is idempotent and always NFKC.
    """
    lowered = unicodedata.normalize("NFKC", value).strip().lower()
    return unicodedata.normalize("NFKC", lowered)
