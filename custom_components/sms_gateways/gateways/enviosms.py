"""EnvioSMS (Go4IT, Mexico): credentials in the URL path, one number a request.

The flow is auth → token (`GET /auth/{user}/{password}`), token → API key and secret plus the
account's balance (`GET /user/{token}`), then `POST /sms/{apikey}/{apisecret}` once per number.
Answers are JSON, except the send answer which the document shows as a JavaScript literal with
`codigo` where the output table says `code`: both are accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn
from urllib.parse import quote
import uuid
from zoneinfo import ZoneInfo

from . import jsonish, numbers
from .base import (
    AccountInfo,
    Balance,
    Capabilities,
    Gateway,
    HttpAnswer,
    RecipientResult,
    SendOptions,
)
from .errors import AuthError, GatewayError, ProtocolError, RefusedError, TemporaryError

# Assumption: `fechaHoraEnvio` is "YYYY-MM-DD HH:MM:SS" in Mexico City time, the provider's own.
MEXICO_CITY = ZoneInfo("America/Mexico_City")
SUCCESS_CODES = frozenset({1000, 1001, 1002, 1003})

# Documented JSON codes: code -> (error class, reason).
_CODES: dict[int, tuple[type[GatewayError], str]] = {
    4000: (RefusedError, "Error desconocido"),
    4001: (RefusedError, "La longitud del parámetro es incorrecta"),
    4002: (AuthError, "Credenciales inválidas"),
    4004: (RefusedError, "Permisos insuficientes"),
    4005: (RefusedError, "Recursos insuficientes"),
    4007: (RefusedError, "Nivel insuficiente"),
    4010: (RefusedError, "El número de teléfono no es válido"),
    4011: (ProtocolError, "No se recibió JSON del mensaje"),
    4012: (TemporaryError, "Servidor saturado (falta de puertos)"),
    4021: (RefusedError, "El mensaje contiene palabras bloqueadas"),
    4022: (RefusedError, "El mensaje contiene URLs no autorizadas"),
    4023: (RefusedError, "Los mensajes flash no admiten ligas ni algunos caracteres especiales"),
}
# Documented HTTP statuses.
_HTTP: dict[int, tuple[type[GatewayError], str]] = {
    401: (AuthError, "No autorizado"),
    402: (RefusedError, "Saldo insuficiente"),
    404: (ProtocolError, "Recurso no encontrado (revise la URL)"),
}


def _seg(value: str) -> str:
    """A path segment: credentials may hold `/` or `?`, so nothing is left unquoted."""
    return quote(value, safe="")


def parse_answer(answer: HttpAnswer) -> dict[str, Any]:
    """The JSON (or JavaScript literal) body, with errors raised for documented failures."""
    body: Any = None
    try:
        body = jsonish.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = None
    code = _code(body) if body is not None else None
    reason = body.get("mensaje") if body is not None else None
    reason = reason if isinstance(reason, str) and reason else None
    if code is not None and code in _CODES and code not in SUCCESS_CODES:
        cls, default = _CODES[code]
        _raise(cls, str(code), reason or default)
    if answer.status in _HTTP:
        cls, default = _HTTP[answer.status]
        _raise(cls, str(answer.status), reason or default)
    if answer.status >= 400:
        _raise(ProtocolError if body is None else RefusedError, str(answer.status), reason)
    if body is None:
        raise ProtocolError("EnvioSMS answered with something that is not JSON")
    if body.get("status") is not True:
        _raise(RefusedError, None if code is None else str(code), reason or "Operación rechazada")
    result: dict[str, Any] = body
    return result


def _code(body: Mapping[str, Any]) -> int | None:
    value = body.get("code", body.get("codigo"))
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _raise(cls: type[GatewayError], code: str | None, reason: str | None) -> NoReturn:
    text = reason or "Error"
    raise cls(f"EnvioSMS: {text}" + (f" ({code})" if code else ""), code=code, reason=text)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProtocolError("EnvioSMS gave no balance")
    try:
        return float(value)
    except ValueError:
        raise ProtocolError("EnvioSMS gave no balance") from None


class EnvioSmsGateway(Gateway):
    """EnvioSMS's REST API."""

    key = "enviosms"
    name = "EnvioSMS"
    model = "API SMS v1"
    default_url = "https://sms.api4it.com/v1"
    dashboard_url = "https://enviosms.com.mx"
    capabilities = Capabilities(
        max_length=509,
        max_recipients_per_request=1,
        max_concurrent_requests=5,
        balance=True,
        # Assumption: the account's credit is in Mexican pesos; the API gives no unit.
        balance_unit="MXN",
        schedule=True,
        flash=True,
        unicode=True,
        default_region="MX",
    )
    fields: ClassVar[tuple[str, ...]] = ("username", "password")
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    _keys: tuple[str, str] | None = None
    _login_lock: asyncio.Lock | None = None

    async def _login(self) -> dict[str, Any]:
        """Token, then the user record (API key and secret, balance)."""
        user, password = self._credentials["username"], self._credentials["password"]
        auth = parse_answer(await self._request("GET", f"/auth/{_seg(user)}/{_seg(password)}"))
        token = auth.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("EnvioSMS gave no token")
        record = parse_answer(await self._request("GET", f"/user/{_seg(token)}"))
        apik, apis = record.get("apik"), record.get("apis")
        if not isinstance(apik, str) or not isinstance(apis, str) or not apik or not apis:
            raise ProtocolError("EnvioSMS gave no API key")
        self._keys = (apik, apis)
        return record

    async def async_validate(self) -> AccountInfo:
        """Sign in; the account name is the provider's `usuario`."""
        record = await self._login()
        name = record.get("usuario")
        return AccountInfo(
            account_id=self._credentials["username"],
            name=name if isinstance(name, str) and name else self._credentials["username"],
            balance=Balance(_number(record.get("balance")), "MXN"),
        )

    async def async_balance(self) -> Balance:
        """The user record's `balance` (a fresh sign-in: the token may have expired)."""
        record = await self._login()
        return Balance(_number(record.get("balance")), "MXN")

    def format_number(self, number: str) -> str:
        """A 10-digit Mexican number."""
        return numbers.national_in(number, "MX", self.default_region)

    async def _async_send_batch(
        self, numbers_: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        (number,) = numbers_
        body: dict[str, Any] = {"to": number, "text": text}
        if options.send_at is not None:
            body["fechaHoraEnvio"] = options.send_at.astimezone(MEXICO_CITY).strftime(
                "%Y-%m-%d %H:%M:%S"
            )
        if options.unicode is not None:
            body["conAcento"] = options.unicode
        if options.flash:
            body["flash"] = True
        try:
            await self._post(body)
        except AuthError:
            # 401/4002 means nothing was sent: sign in again once (keys may have been
            # regenerated), then send; a second refusal is final. Refusals of the content or
            # number reach `async_send`, which reports them for this recipient.
            self._keys = None
            await self._post(body)
        # The provider returns no message id; a local one lets reports and sensors refer to it.
        return [RecipientResult(number, True, message_id=f"enviosms:{uuid.uuid4().hex}")]

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        # Sends run concurrently: the first one signs in, the others wait for its keys.
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        async with self._login_lock:
            if self._keys is None:
                await self._login()
        assert self._keys is not None
        apik, apis = self._keys
        return parse_answer(
            await self._request("POST", f"/sms/{_seg(apik)}/{_seg(apis)}", json=body)
        )
