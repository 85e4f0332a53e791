"""Read the loosely typed values of provider answers, and raise the errors their codes document.

What every provider module needs from a parsed answer: a value as text, a flag or an integer
whatever JSON type the server chose, an error raised from a table of documented codes, and a
stable id for an inbound message the provider gave none.
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
import re
from typing import Any, NoReturn

from .exceptions import GatewayError, ProtocolError

# Bounded: Python refuses to convert integers of thousands of digits.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_TRUE = frozenset({"1", "1.0", "true", "yes"})
_FALSE = frozenset({"0", "0.0", "false", "no"})

type ErrorTable[K] = Mapping[K, tuple[type[GatewayError], str]]


def text(value: Any) -> str:
    """Return a string or number as stripped text; anything else is empty."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return ""


def first(data: Mapping[str, Any], *keys: str) -> str:
    """Return the first non-empty text among `keys` (empty if none has one)."""
    for key in keys:
        if found := text(data.get(key)):
            return found
    return ""


def flag(value: Any) -> bool | None:
    """Return a flag written as a boolean, 1/0 or a word ("true", "no"); None when unclear."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def integer(value: Any) -> int | None:
    """Return an integer sent as a number or a string ("0", "-16"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def fingerprint(*parts: str) -> str:
    """Return a stable id for a message the provider gave none: a hash of what identifies it."""
    return "fp:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def error[E: GatewayError](
    provider: str, cls: type[E], code: str | None, reason: str, *, label: str = ""
) -> E:
    """Build `cls` saying "provider: reason (code)", with the code and reason kept apart.

    The message is made of the provider's code and reason only, never of a request's URL.
    """
    suffix = f" ({label}{code})" if code else ""
    return cls(f"{provider}: {reason}{suffix}", code=code, reason=reason)


def raise_coded[K](
    provider: str,
    table: ErrorTable[K],
    code: K,
    reason: str | None = None,
    *,
    detail: str = "",
    unknown: tuple[type[GatewayError], str] | None = None,
    label: str = "",
) -> NoReturn:
    """Raise the error `table` documents for `code`.

    The provider's own `reason` is preferred to the table's, and `detail` follows it. A code the
    table does not list raises `unknown` where given, else `ProtocolError`.
    """
    entry = table.get(code, unknown)
    if entry is None:
        raise ProtocolError(f"{provider} answered with unknown code {code}", code=str(code))
    cls, meaning = entry
    said = reason or meaning
    if detail:
        said = f"{said}: {detail}"
    raise error(provider, cls, str(code), said, label=label)
