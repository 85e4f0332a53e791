"""Segment counts: what the user pays for."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways.text import Encoding, analyse, plain_lookalikes


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", Encoding.GSM7, 0, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("Café à 5€", Encoding.GSM7, 10, 1),  # é and à are in the basic table, € is extended
        ("{" * 80, Encoding.GSM7, 160, 1),  # extension characters take two septets
        ("{" * 81, Encoding.GSM7, 162, 2),
        ("ñandú", Encoding.UCS2, 5, 1),  # ú is not GSM-7
        ("我" * 70, Encoding.UCS2, 70, 1),
        ("我" * 71, Encoding.UCS2, 71, 2),
        ("我" * 134, Encoding.UCS2, 134, 2),
        ("我" * 135, Encoding.UCS2, 135, 3),
        ("🔥" * 35, Encoding.UCS2, 70, 1),  # outside the BMP: two UTF-16 units each
        ("🔥" * 36, Encoding.UCS2, 72, 2),
        # A pair is never split across segments: the € (escape + septet) at septets 153-154
        # starts the second segment, so 306 septets take three segments, as carriers bill them.
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 306, 3),
        ("a" * 151 + "€" + "a" * 153, Encoding.GSM7, 306, 2),
        # An emoji (a surrogate pair) at units 67-68 moves whole to the second segment.
        ("我" * 66 + "🔥" + "我" * 66, Encoding.UCS2, 134, 3),
        ("我" * 65 + "🔥" + "我" * 67, Encoding.UCS2, 134, 2),
    ],
)
def test_segments(text: str, encoding: Encoding, units: int, segments: int) -> None:
    info = analyse(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


@given(st.text(max_size=2000))
def test_segments_cover_the_text(text: str) -> None:
    info = analyse(text)
    single, multi = (160, 153) if info.encoding is Encoding.GSM7 else (70, 67)
    assert info.segments >= 1
    if info.segments == 1:
        assert info.units <= single
    else:
        # A segment ends early by at most one unit, when a pair would not fit in it whole.
        assert (info.segments - 1) * (multi - 1) < info.units <= info.segments * multi


def test_forced_encoding() -> None:
    # A provider that always sends UCS-2 bills plain ASCII 70 characters a message.
    assert analyse("a" * 71, encoding=Encoding.UCS2).segments == 2
    with pytest.raises(ValueError):
        analyse("我", encoding=Encoding.GSM7)


def test_plain_lookalikes() -> None:
    text = "“Hola” — ¿vienes?\u00a0Ya…"
    plain, replaced = plain_lookalikes(text)
    assert plain == '"Hola" - ¿vienes? Ya...'
    assert replaced == {"\u00a0": " ", "—": "-", "“": '"', "”": '"', "…": "..."}
    assert analyse(text).segments == 1
    assert (analyse(text).encoding, analyse(plain).encoding) == (Encoding.UCS2, Encoding.GSM7)
    # Nothing to gain when the text stays UCS-2: left alone.
    assert plain_lookalikes("“你好”") == ("“你好”", {})
    assert plain_lookalikes("plain") == ("plain", {})
