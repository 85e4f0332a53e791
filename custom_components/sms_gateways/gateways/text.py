"""Detect GSM-7 / UCS-2 and count segments: what the user pays for.

GSM 03.38: a text made only of the default alphabet travels as GSM-7 (160 septets, or 153 a segment
when concatenated); the extension table's characters take two septets each. Anything else makes the
whole text UCS-2 (70 UTF-16 code units, or 67 a segment).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class Encoding(StrEnum):
    """Name how the text travels."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class TextInfo:
    """Hold the encoding, length in the encoding's units, and the number of SMS segments."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Return whether every character is in the GSM-7 default alphabet or its extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def units_of(text: str, encoding: Encoding) -> list[int]:
    """Return the units each character takes: GSM-7 septets, or UTF-16 code units."""
    if encoding is Encoding.GSM7:
        return [2 if c in GSM7_EXTENDED else 1 for c in text]
    # Characters outside the Basic Multilingual Plane (emoji) take two UTF-16 units.
    return [1 if ord(c) < 0x10000 else 2 for c in text]


def count_segments(units: list[int], single: int, multi: int) -> int:
    """Count the SMS that carry characters of these sizes, none split across two.

    One SMS if all fit in `single`; otherwise segments of `multi` units filled in order, where a
    character that does not fit whole (an escape pair, a surrogate pair) starts the next segment,
    as phones and carriers split them.
    """
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


def analyse(text: str, *, encoding: Encoding | None = None) -> TextInfo:
    """Return the encoding and segment count of `text`.

    An empty text is one segment, as phones count it.

    `encoding` forces one (a provider that always sends UCS-2); by default GSM-7 when every
    character has a septet, UCS-2 otherwise.
    """
    if encoding is None:
        encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    elif encoding is Encoding.GSM7 and not is_gsm7(text):
        raise ValueError("text has characters outside GSM-7")
    units = units_of(text, encoding)
    if encoding is Encoding.GSM7:
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        single, multi = UCS2_SINGLE, UCS2_MULTI
    return TextInfo(encoding, sum(units), count_segments(units, single, multi))


# Characters outside GSM-7 with a plain look-alike inside it: typographic quotes, dashes, the
# ellipsis and the narrow or non-breaking spaces that word processors and phones put in. One of
# them makes a whole text UCS-2 (70 characters a segment instead of 160).
LOOKALIKES: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2009\u200a\u202f", " "),
}


def plain_lookalikes(text: str) -> tuple[str, dict[str, str]]:
    """Return `text` with look-alikes replaced, and what was replaced by what.

    Only when that makes the whole text GSM-7: a text that stays UCS-2 anyway (Chinese, an
    emoji) keeps its typography, as replacing would save nothing.
    """
    found = {c: LOOKALIKES[c] for c in set(text) if c in LOOKALIKES}
    if not found:
        return text, {}
    plain = text.translate({ord(c): r for c, r in found.items()})
    if not is_gsm7(plain):
        return text, {}
    return plain, dict(sorted(found.items()))


# What Home Assistant cannot store or send on: lone UTF-16 surrogates (JSON's "\ud800" parses into
# one; UTF-8 cannot encode it, so every later save of the inbox and the websocket event would
# fail) and NUL (PostgreSQL, a recorder back end, refuses it in text).
_REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """Return `text` with lone surrogates and NUL replaced by U+FFFD; anything else kept as it is.

    A valid surrogate pair (an emoji written as two JSON escapes) is joined into its character.
    """
    if text.isascii():
        return text.replace("\x00", _REPLACEMENT) if "\x00" in text else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16 with surrogates allowed: pairs recombine, lone halves become U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", _REPLACEMENT) if "\x00" in text else text
