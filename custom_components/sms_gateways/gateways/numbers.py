"""Convert phone numbers from what a user writes to what each provider expects.

Parsing and validity come from `phonenumbers` (Google's libphonenumber metadata, kept current for
every country) rather than hand-written rules: a number is accepted only if libphonenumber calls it a
possible number of its region.
"""

from __future__ import annotations

import functools

import phonenumbers

from .exceptions import AmbiguousNumberError, InvalidNumberError


def load_metadata() -> None:
    """Load every region's numbering metadata now (blocking: about 0.2 s and 3 MiB, once).

    libphonenumber imports a region's module the first time a number of it is parsed; called in
    an executor at start, that import never happens inside an event loop.
    """
    for region in phonenumbers.SUPPORTED_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_region(region)
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)


def _clean(number: str) -> str:
    cleaned = number.strip() if isinstance(number, str) else ""
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return cleaned


# A send parses each number up to three times (the action's response, the provider's form, the
# gateway's check): the parsed numbers are kept for the next parse of the same text. Callers only
# read them.
@functools.lru_cache(maxsize=2048)
def _try(cleaned: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def parse(
    number: str, default_region: str | None = None, *, country_code_digits: bool = False
) -> phonenumbers.PhoneNumber:
    """Parse a number as people write it, or raise `InvalidNumberError`.

    The rule (README, "Numbers"): `+…` (or `00…`) is international; otherwise the number is read
    as national in `default_region` if it is valid there; otherwise, where the provider's own form
    is country-code digits without `+` (`country_code_digits`, Itniotech's `91856321412`), as
    international if it is valid that way. A number valid neither way is still taken if it is
    possible in exactly one reading (libphonenumber's metadata lags behind new ranges); possible in
    both, it is ambiguous and refused rather than guessed.
    """
    cleaned = _clean(number)
    if cleaned.startswith("+"):
        readings = [_try(cleaned, None)]
    else:
        readings = [_try(cleaned, default_region) if default_region else None]
        if country_code_digits and any(c.isdigit() for c in cleaned):
            readings.append(_try("+" + cleaned, None))
    possible = [r for r in readings if r is not None]
    if len(possible) == 1:
        # One reading (the common case): validity decides nothing, and costs as much as parsing.
        return possible[0]
    for reading in possible:
        if phonenumbers.is_valid_number(reading):
            return reading
    if len(possible) > 1 and possible[0] != possible[1]:
        raise AmbiguousNumberError(
            f"{number!r} could be national or international; write it with + and the country code",
            {"number": str(number)},
        )
    raise InvalidNumberError(f"{number!r} is not a phone number", {"number": str(number)})


def to_e164(
    number: str, default_region: str | None = None, *, country_code_digits: bool = False
) -> str:
    """Return `+` followed by country code and national number."""
    return phonenumbers.format_number(
        parse(number, default_region, country_code_digits=country_code_digits),
        phonenumbers.PhoneNumberFormat.E164,
    )


def digits_with_country_code(number: str, default_region: str | None = None) -> str:
    """Return country code and national number, no `+` (Itniotech)."""
    return to_e164(number, default_region, country_code_digits=True)[1:]


# A poll with a look-back window reads the same senders again and again: answers are kept.
@functools.lru_cache(maxsize=1024)
def sender_e164(
    value: str, default_region: str | None = None, *, country_code_digits: bool = False
) -> str:
    """Return an inbound sender in E.164 when it is a phone number, else as the provider gave it.

    Only a *valid* number is rewritten (an alphanumeric sender id or a short code stays as it is),
    with the same reading rule as `parse`.
    """
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned or any(c.isalpha() for c in cleaned):
        return value
    try:
        parsed = parse(cleaned, default_region, country_code_digits=country_code_digits)
    except InvalidNumberError:
        return value
    if not phonenumbers.is_valid_number(parsed):
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_in(number: str, region: str, default_region: str | None = None) -> str:
    """Return the national significant number of a number that must belong to `region`.

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
    """Hide all but the last 4 digits of a number, for diagnostics and logs."""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]
