"""Numbers in each provider's form, and a clear error for those that cannot be."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways import numbers
from custom_components.sms_gateways.gateways.errors import InvalidNumberError


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("+52 55 1234 5678", None, "+525512345678"),
        ("0052 55 1234 5678", None, "+525512345678"),
        ("55 1234 5678", "MX", "+525512345678"),
        ("+1 (555) 123-4567", None, "+15551234567"),
        ("13512345678", "CN", "+8613512345678"),
    ],
)
def test_e164(number: str, region: str | None, expected: str) -> None:
    assert numbers.to_e164(number, region) == expected


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("+52 55 1234 5678", "MX", "5512345678"),
        ("5512345678", "MX", "5512345678"),
        ("+86 135 1234 5678", "CN", "13512345678"),
        ("13512345678", "CN", "13512345678"),
        # Chinese landlines keep the area code with its trunk 0, as 112088 asks.
        ("075580808080", "CN", "075580808080"),
        ("+86 755 8080 8080", "CN", "075580808080"),
    ],
)
def test_national(number: str, region: str, expected: str) -> None:
    assert numbers.national_in(number, region) == expected


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("+15551234567", "MX"),  # another country
        ("+8613512345678", "MX"),
        ("+525512345678", "CN"),
        ("12", "MX"),
        ("not a number", "MX"),
        ("", "MX"),
    ],
)
def test_national_refuses(number: str, region: str) -> None:
    with pytest.raises(InvalidNumberError) as err:
        numbers.national_in(number, region)
    assert err.value.key == "invalid_number"
    assert err.value.placeholders["number"] == number


def test_without_region_needs_country_code() -> None:
    with pytest.raises(InvalidNumberError):
        numbers.to_e164("5512345678", None)
    assert numbers.digits_with_country_code("+91 85632 14123") == "918563214123"


def test_mask() -> None:
    assert numbers.mask("+525512345678") == "*********5678"
    assert numbers.mask("123") == "***"


@given(st.text(max_size=40))
def test_any_text_gives_a_number_or_our_error(text: str) -> None:
    try:
        result = numbers.to_e164(text, "MX")
    except InvalidNumberError:
        return
    assert result.startswith("+")
    assert result[1:].isdigit()
