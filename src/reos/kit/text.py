"""Text matching helpers shared by the list filters."""

from __future__ import annotations

import re

from reos.compliance.area_codes import AREA_CODE_STATES


def contains_pattern(q: str | None) -> str | None:
    """An ILIKE pattern matching `q` anywhere, with LIKE's wildcards taken literally; None for
    an empty query."""
    if q is None or not q.strip():
        return None
    escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PHONEISH = re.compile(r"^[\d\s().+-]+$")
_SEPARATED = re.compile(r"^[^\W_]+(?:[-./][^\W_]+)+$")


def words_query(text: str) -> str | None:
    """`to_tsquery('simple', …)` text built from the words of `text` only (never the user's
    own syntax), all of them required."""
    words = _WORD.findall(text.lower())[:8]
    if not words:
        return None
    # Words already typed are whole words; the last one is still being typed (a prefix), so
    # "3 Deal" finds "3 DEAL ST" and not every address with a 3 somewhere.
    query = " & ".join([*words[:-1], f"{words[-1]}:*"])
    # An APN or a number typed with separators ("192-834-0021") is also searched whole, as
    # the property's vector holds the APN without its dashes.
    joined = "".join(words)
    if len(words) > 1 and _SEPARATED.match(text.strip()):
        return f"({query}) | {joined}:*"
    return query


def phone_prefix(text: str) -> str | None:
    """The E.164 prefix a typed phone number starts, e.g. "(813) 55" → "+181355"."""
    if not _PHONEISH.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3:
        return None
    if text.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return "+1" + digits


def local_numbers(text: str) -> list[str]:
    """The E.164 numbers a typed seven-digit local number ("555-7711") may be, one per area code
    in service: people note a caller's number without its area code, and the stored values hold
    it, so the search tries each. Empty for anything else."""
    if text.strip().startswith("+") or not _PHONEISH.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    # A NANP exchange never starts with 0 or 1.
    if len(digits) != 7 or digits[0] in "01":
        return []
    return [f"+1{area}{digits}" for area in sorted(AREA_CODE_STATES)]


def email_prefix(text: str) -> str | None:
    """Typed text that looks like (the start of) an email address, lower-cased."""
    text = text.strip().lower()
    return text if "@" in text else None
