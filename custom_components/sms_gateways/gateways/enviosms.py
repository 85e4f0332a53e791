"""Talk to EnvioSMS (Go4IT, Mexico).

Credentials travel in the URL path; one number a request.

The flow is user and password → token (`GET /auth/{user}/{password}`), token → API key and secret
plus the account's balance (`GET /user/{token}`), then `POST /sms/{apikey}/{apisecret}` once per
number. The token and the keys are kept for the life of the client and fetched again when the
provider stops accepting them. Answers are JSON, except the send answer, which the document shows as
a JavaScript literal with `codigo` where its output table says `code`: both are accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from datetime import UTC
from functools import cached_property
import math
from typing import Any, NoReturn
import unicodedata
from urllib.parse import quote
import uuid

from . import _parse, jsonish, numbers
from .client import Gateway
from .exceptions import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)
from .models import AccountInfo, Balance, Capabilities, RecipientResult, SendOptions
from .text import (
    GSM7_EXTENDED,
    GSM7_MULTI,
    GSM7_SINGLE,
    Encoding,
    TextInfo,
    analyse,
    count_segments,
    is_gsm7,
)
from .transport import HttpAnswer

# `fechaHoraEnvio` is UTC. The stored document only says "Datetime"; the provider's current README
# (GitHub go4itMX/API_SMS, the version with the sms.api4it.com host) says: "fechaHoraEnvio | Dia y
# hora en la cual se quiere enviar el mensaje (Zona horaria UTC - Coordinated Universal Time)" (day
# and hour to send the message, UTC time zone), and adds "La zona horaría UTC y su equivalencia en
# México se puede consultar en …" (UTC and its Mexican equivalent can be looked up at …).
# Assumption: written "YYYY-MM-DD HH:MM:SS", without zone; neither text shows the format.
SEND_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
NAME = "EnvioSMS"
# Assumption: the account's credit is in Mexican pesos; the API gives no unit.
CURRENCY = "MXN"
SUCCESS_CODES = frozenset({1000, 1001, 1002, 1003})

# The document's JSON codes: code -> (error class, what it means, in English). The provider's own
# `mensaje` (Spanish) is preferred as the reason when the answer has one.
_CODES: dict[int, tuple[type[GatewayError], str]] = {
    4000: (RefusedError, "Unknown error"),
    # Text and number are checked before sending, so a length complaint is about this content.
    4001: (RefusedError, "A parameter has the wrong length"),
    4002: (AuthError, "Invalid credentials"),
    4004: (RefusedError, "Insufficient permissions"),
    4005: (RefusedError, "Insufficient resources (balance)"),
    4007: (RefusedError, "The account's level does not allow this"),
    4010: (RefusedError, "The phone number is not valid"),
    # We always send JSON: not receiving it means the request was mangled on the way.
    4011: (ProtocolError, "No message JSON was received"),
    4012: (TemporaryError, "The server is saturated (no free ports)"),
    4021: (RefusedError, "The message contains a blocked word"),
    4022: (RefusedError, "The message contains a URL that is not authorised"),
    4023: (RefusedError, "Flash messages cannot contain links or some special characters"),
}
# The document's HTTP statuses (400 is judged by its body, below).
_HTTP: dict[int, tuple[type[GatewayError], str]] = {
    401: (AuthError, "Unauthorised (wrong API key or secret, or insufficient permissions)"),
    402: (RefusedError, "Insufficient balance"),
    404: (ProtocolError, "Resource not found (check the API URL)"),
}
_BAD_REQUEST = "Malformed request or unknown error"
# The document's 401 row: "401 | No Autorizado | APIK o APIS incorrectos, Permisos insuficientes"
# (unauthorised: wrong API key or secret, insufficient permissions). Right after a fresh sign-in the
# key, secret and token are the provider's own, so what is left is the permissions.
_NO_PERMISSION = "Insufficient permissions (refused right after a fresh sign-in)"


def _seg(value: str) -> str:
    """Quote one path segment: credentials may hold `/`, `?` or `#`, so nothing is left as is."""
    return quote(value, safe="")


def parse_answer(answer: HttpAnswer) -> dict[str, Any]:
    """Return the answer's JSON (or JavaScript literal) object; raise documented failures.

    A JSON code in the body is more precise than the HTTP status, so it is looked at first.
    """
    body = _object(answer.body)
    code = _code(body)
    reason = (_parse.text(body.get("mensaje")) or None) if body is not None else None
    if code is not None and code in _CODES:
        _parse.raise_coded(NAME, _CODES, code, reason, label="code ")
    if answer.status in _HTTP:
        _parse.raise_coded(NAME, _HTTP, answer.status, reason, label="code ")
    if answer.status == 400:
        # An answer the provider explains is a refusal; a bare 400 means our request was wrong.
        explained = reason is not None or code is not None
        _raise(
            RefusedError if explained else ProtocolError,
            str(code if code is not None else 400),
            reason or _BAD_REQUEST,
        )
    if not 200 <= answer.status < 300:
        _raise(ProtocolError, str(answer.status), f"Unexpected HTTP status {answer.status}")
    if body is None:
        raise ProtocolError("EnvioSMS answered with something that is not a JSON object")
    # `status` is a boolean; JavaScript back ends also write it as 1/0 or a string.
    status = _parse.flag(body.get("status"))
    if status is False:
        _raise(RefusedError, None if code is None else str(code), reason or "Operation refused")
    if status is None and code not in SUCCESS_CODES:
        raise ProtocolError("EnvioSMS answered without a status")
    return body


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = jsonish.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        return None
    return value if isinstance(value, dict) else None


def _code(body: Mapping[str, Any] | None) -> int | None:
    if body is None:
        return None
    value = body.get("code")
    if value is None:
        value = body.get("codigo")
    return _parse.integer(value)


def _raise(cls: type[GatewayError], code: str | None, reason: str) -> NoReturn:
    raise _parse.error(NAME, cls, code, reason, label="code ")


def refused_after_sign_in(err: AuthError) -> RefusedError:
    """Return the refusal a 401 (or 4002) means when it persists right after a fresh sign-in."""
    reason = f"{_NO_PERMISSION}: {err.reason}" if err.reason else _NO_PERMISSION
    return _parse.error(NAME, RefusedError, err.code, reason, label="code ")


def without_accents(text: str) -> str:
    """Drop the accents of `text` ("canción" → "cancion"), as it is sent without `conAcento`."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def with_accents(text: str, options: SendOptions) -> bool:
    """Tell whether to send with `conAcento`: as the user chose, else when the text needs it.

    Without a choice, a text that stripping would change ("año" → "ano", "canción") or that GSM-7
    cannot carry goes with accents: it costs 70 characters a message instead of 160, but arrives as
    written. `unicode: false` keeps the cheaper, stripped text.
    """
    if options.unicode is not None:
        return options.unicode
    return without_accents(text) != text or not is_gsm7(text)


def billed_text(text: str, accents: bool) -> TextInfo:
    """Return encoding and segments as EnvioSMS sends and bills `text`.

    The document: "conAcento | Bandera que indica si se quiere enviar un mensaje con acentos (solo
    70 caracteres por SMS) | 0/False" (a flag for sending a message with accents, only 70
    characters a message; off by default). With it, the whole text is UCS-2.
    Assumption: without it the document says nothing of the length; "with accents" implies the
    text goes without them, so accents are stripped and the rest travels as GSM-7 (160 a message,
    153 a part), each character one septet (two for the extension table), whatever it is.
    """
    if accents:
        return analyse(text, encoding=Encoding.UCS2)
    units = [2 if c in GSM7_EXTENDED else 1 for c in without_accents(text)]
    return TextInfo(Encoding.GSM7, sum(units), count_segments(units, GSM7_SINGLE, GSM7_MULTI))


async def _after_sign_in[T](call: Awaitable[T]) -> T:
    """Await a call made right after a fresh sign-in: a 401 then is a refusal, not credentials."""
    try:
        return await call
    except AuthError as err:
        raise refused_after_sign_in(err) from err


def parse_balance(record: Mapping[str, Any]) -> Balance:
    """Read the user record's `balance` (a number, or a numeric string) in pesos."""
    value = record.get("balance")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            pass
        else:
            if math.isfinite(number):
                return Balance(number, CURRENCY)
    raise ProtocolError("EnvioSMS gave no balance")


class EnvioSmsGateway(Gateway):
    """Call EnvioSMS's REST API."""

    key = "enviosms"
    name = NAME
    default_url = "https://sms.api4it.com/v1"
    capabilities = Capabilities(
        max_length=509,
        max_recipients_per_request=1,
        max_concurrent_requests=5,
        balance=True,
        balance_unit=CURRENCY,
        schedule=True,
        flash=True,
        unicode=True,
        default_region="MX",
    )

    # A client starts signed out; the first call signs in.
    _token: str | None = None
    _keys: tuple[str, str] | None = None
    # Bumped whenever the keys are read afresh, to tell which ones a refused send used.
    _generation = 0

    @cached_property
    def _sign_in_lock(self) -> asyncio.Lock:
        """Return the lock of signing in: of concurrent sends, one signs in, the others wait."""
        return asyncio.Lock()

    async def async_validate(self) -> AccountInfo:
        """Sign in afresh; the account name is the provider's `usuario`."""
        record = await self._sign_in()
        username = str(self._credentials["username"])
        return AccountInfo(
            account_id=username,
            name=_parse.text(record.get("usuario")) or username,
            balance=parse_balance(record),
        )

    async def async_balance(self) -> Balance:
        """Read the user record's `balance` with the kept token (signing in again if it expired)."""
        if self._token is not None:
            try:
                return parse_balance(await self._user(self._token))
            except AuthError:
                pass  # The token is no longer accepted: one fresh sign-in reads the record again.
        return parse_balance(await self._sign_in())

    def billed(self, text: str, options: SendOptions) -> TextInfo:
        """Count GSM-7 without accents, or UCS-2 (70 a message) with `conAcento`."""
        return billed_text(text, with_accents(text, options))

    def format_number(self, number: str) -> str:
        """Return a 10-digit Mexican number."""
        written = number.strip()
        if written.startswith(("+", "00")):
            digits = "".join(c for c in written if c.isdigit()).removeprefix("00")
            # Assumption: "+52 1 …" is the mobile prefix Mexico abolished in 2019, still common in
            # address books; the provider wants the 10-digit number without it.
            if digits.startswith("521") and len(digits) == 13:
                number = "+52" + digits[3:]
        national = numbers.national_in(number, "MX", self.default_region)
        if len(national) != 10:
            # libphonenumber also calls 7- and 8-digit local numbers possible; the API takes 10.
            raise InvalidNumberError(
                f"{number!r} is not a 10-digit Mexican number", {"number": str(number)}
            )
        return national

    async def _async_send_batch(
        self, numbers_: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        (number,) = numbers_
        body: dict[str, Any] = {"to": number, "text": text}
        if options.send_at is not None:
            body["fechaHoraEnvio"] = options.send_at.astimezone(UTC).strftime(SEND_AT_FORMAT)
        if with_accents(text, options):
            body["conAcento"] = True
        elif options.unicode is not None:
            body["conAcento"] = False
        if options.flash:
            body["flash"] = True
        keys, generation, fresh = await self._send_keys(stale=None)
        try:
            await self._post(keys, body)
        except AuthError as err:
            # 401/4002 means the message was not taken, so sending again cannot duplicate it.
            # Keys just handed out by a sign-in are not wrong: their refusal is about permissions.
            if fresh:
                raise refused_after_sign_in(err) from err
            # Kept keys may have been regenerated in the dashboard: fetch them once more and send
            # once more. Nothing else is retried (a time-out may have delivered it).
            keys, _, _ = await self._send_keys(stale=generation)
            await _after_sign_in(self._post(keys, body))
        # The provider returns no message id; a local one lets the delivery sensor refer to it.
        return [RecipientResult(number, True, message_id=f"enviosms:{uuid.uuid4().hex}")]

    async def _send_keys(self, *, stale: int | None) -> tuple[tuple[str, str], int, bool]:
        """Return the kept API key and secret, signing in when there are none or they are `stale`.

        `stale` is the generation of keys a send saw refused; returned are the keys, their
        generation, and whether this call signed in to get them.
        """
        async with self._sign_in_lock:
            # Several sends refused with the same keys sign in once between them (compared by
            # generation: a sign-in may well hand out the same, unchanged keys).
            signed_in = self._keys is None or self._generation == stale
            if signed_in:
                await self._sign_in()
            assert self._keys is not None  # _sign_in sets them or raises; nothing unsets them
            return self._keys, self._generation, signed_in

    async def _post(self, keys: tuple[str, str], body: dict[str, Any]) -> dict[str, Any]:
        apik, apis = keys
        return parse_answer(
            await self._request("POST", f"/sms/{_seg(apik)}/{_seg(apis)}", json=body)
        )

    async def _sign_in(self) -> dict[str, Any]:
        """Sign in: a new token, then the user record (keeping its API key and secret).

        A refused password is `AuthError` (reauthentication); the token just issued being refused
        by `/user` is a refusal (`RefusedError`): the credentials were right.
        """
        user, password = str(self._credentials["username"]), str(self._credentials["password"])
        auth = parse_answer(await self._request("GET", f"/auth/{_seg(user)}/{_seg(password)}"))
        token = _parse.text(auth.get("token"))
        if not token:
            raise ProtocolError("EnvioSMS gave no token")
        self._token = token
        return await _after_sign_in(self._user(token))

    async def _user(self, token: str) -> dict[str, Any]:
        """Fetch the user record (name, keys, balance, price) and keep its keys."""
        record = parse_answer(await self._request("GET", f"/user/{_seg(token)}"))
        apik, apis = _parse.text(record.get("apik")), _parse.text(record.get("apis"))
        if not apik or not apis:
            raise ProtocolError("EnvioSMS gave no API key")
        self._keys = (apik, apis)
        self._generation += 1
        return record
