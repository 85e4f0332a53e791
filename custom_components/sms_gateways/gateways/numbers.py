"""Phone numbers: from what a user writes to what each provider expects.

Parsing and validity come from `phonenumbers` (Google's libphonenumber metadata, kept current for
every country) rather than hand-written rules: a number is accepted only if libphonenumber calls it a
possible number of its region.
"""

from __future__ import annotations

import phonenumbers

from .errors import InvalidNumberError


def parse(number: str, default_region: str | None = None) -> phonenumbers.PhoneNumber:
    """Parse `number` (international, or national in `default_region`) or raise."""
    cleaned = number.strip() if isinstance(number, str) else ""
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        parsed = phonenumbers.parse(cleaned, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidNumberError(
            f"{number!r} is not a phone number", {"number": str(number)}
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumberError(f"{number!r} is not a possible number", {"number": str(number)})
    return parsed


def to_e164(number: str, default_region: str | None = None) -> str:
    """`+` followed by country code and national number."""
    return phonenumbers.format_number(
        parse(number, default_region), phonenumbers.PhoneNumberFormat.E164
    )


def digits_with_country_code(number: str, default_region: str | None = None) -> str:
    """Country code and national number, no `+` (Itniotech)."""
    return to_e164(number, default_region)[1:]


def national_in(number: str, region: str, default_region: str | None = None) -> str:
    """The national significant number of a number that must belong to `region`.

    Used for providers that reach one country only (EnvioSMS: 10-digit Mexican numbers; 112088:
    mainland China, where landlines keep their area code with its leading 0).
    """
    parsed = parse(number, default_region or region)
    if phonenumbers.region_code_for_number(parsed) != region and (
        parsed.country_code != phonenumbers.country_code_for_region(region)
    ):
        raise InvalidNumberError(f"{number!r} is not a number in {region}", {"number": str(number)})
    # The national format keeps a trunk prefix where dialling needs it (Chinese landlines' 0).
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(c for c in formatted if c.isdigit())


def mask(number: str) -> str:
    """A number with all but its last 4 digits hidden, for diagnostics and logs."""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]
