"""Numbers in each provider's form, and a clear error for those that cannot be."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways import numbers
from custom_components.sms_gateways.gateways.exceptions import (
    AmbiguousNumberError,
    InvalidNumberError,
)


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


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        # Itniotech's own example: country code and number, no `+`, no default country needed.
        ("91856321412", None, "+91856321412"),
        ("91856321412", "MX", "+91856321412"),  # not a Mexican number: read as international
        ("55 1234 5678", "MX", "+525512345678"),  # valid national number: national first
        ("08563214123", "IN", "+918563214123"),
        ("+52 55 1234 5678", "IN", "+525512345678"),
    ],
)
def test_country_code_digits(number: str, region: str | None, expected: str) -> None:
    assert numbers.to_e164(number, region, country_code_digits=True) == expected


def test_ambiguous_digits_are_refused_not_guessed() -> None:
    # Invalid in the UK and as +44 …, but possible both ways: the user must say which.
    with pytest.raises(AmbiguousNumberError) as err:
        numbers.to_e164("4412345678", "GB", country_code_digits=True)
    assert err.value.placeholders == {"number": "4412345678"}
    # Providers whose form is national never read digits as international.
    with pytest.raises(InvalidNumberError):
        numbers.to_e164("91856321412", None)


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("13826588212", "CN", "+8613826588212"),  # 112088: mainland numbers without +86
        ("+86 138 2658 8212", "CN", "+8613826588212"),
        ("0612345678", "FR", "+33612345678"),  # a phone's raw national value
        ("10086", "CN", "10086"),  # a short code is not rewritten
        ("ACME", None, "ACME"),  # an alphanumeric sender id stays as given
        ("", None, ""),
        ("918563214123", None, "918563214123"),  # digits: only providers that say so
    ],
)
def test_sender_e164(value: str, region: str | None, expected: str) -> None:
    assert numbers.sender_e164(value, region) == expected


def test_sender_country_code_digits() -> None:
    assert numbers.sender_e164("918563214123", None, country_code_digits=True) == "+918563214123"
