"""A fake EnvioSMS: auth → token → user (apik/apis) → one POST per number.

Auth and user answer strict JSON, as the document shows them; the send answer is the document's
JavaScript literal (`{ status: true, tipo: 0, codigo: 1001, mensaje: 'Envío en proceso' }`). The send
body may be strict JSON (the C# and Java examples) or a literal with bare keys (the PHP example).
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import math
import re
import secrets
from typing import Any
import unicodedata

from aiohttp import web

from custom_components.sms_gateways.gateways import jsonish
from custom_components.sms_gateways.gateways.text import (
    GSM7_EXTENDED,
    GSM7_MULTI,
    GSM7_SINGLE,
    UCS2_MULTI,
    UCS2_SINGLE,
)
from tests.fakes.base import FakeProvider, SentMessage

MAX_TEXT = 509
# The document's JSON codes and their Spanish descriptions (sent as `mensaje`).
CODES: dict[int, str] = {
    4000: "Error desconocido",
    4001: "La longitud del parametro es incorrecta",
    4002: "Credenciales inválidas",
    4004: "Permisos insuficientes",
    4005: "Recursos insuficientes",
    4007: "Nivel insuficiente",
    4010: "El número de teléfono no es válido",
    4011: "No se recibió JSON del mensaje",
    4012: "Error el envío debido a saturación del servidor(falta de puertos)",
    4021: "No se pueden enviar mensajes que contengan palabras bloqueadas",
    4022: "No se pueden enviar mensajes que contengan urls no autorizadas",
    4023: "No se pueden enviar mensajes flash con ligas ni con algunos caracteres especiales.",
}
HTTP_REASONS: dict[int, str] = {
    400: "Petición mal formada o error desconocido",
    401: "No Autorizado",
    402: "Pago Requerido",
    404: "Recurso no encontrado",
}
# The document's blocked-word catalogue, as it stands ("… icloudsignld.com y icloudsignld").
BLOCKED_WORDS = (
    "amlo", "voto", "nazi", "chinga", "pri", "prd", "epn", "aria", "hitler", "22826230",
    "018008010212", "donativo", "2212751296", "221-275-1296", "u.to",
    "http://www.serbiafashion.com/css/redirect.html", "www.serbiafashion.com", "meade", "anaya",
    "bronco", "5521940373", "782533", "S9", "votaciones", "votar", "vota", "casilla", "m0rena",
    "pr1", "p@n", "moren@", "prl", "aml0", "@naya", "@n@y@", "3pn", "votacion", "v0to", "v0t0",
    "vot@", "vot@r", "findmyiph", "findmyiphone", "findmyifone", "findmyiphonemx", "AppIe",
    "iSupport", "App1e", "findmyiphonb", "lphone", "en-us.cf", "findmyiphone-location",
    "www.Apple.soportesms.com/contacto", "icloudsig.com", "icloudsig", "icloudsignld.com",
    "icloudsignld",
)  # fmt: skip
# Whole words, case-insensitive: "pri" is blocked, "primero" is not. Entries hold `@`, `.`, `-`
# and `/`, so a word boundary is "no letter, digit or @ on either side".
BLOCKED_RE = re.compile(
    r"(?<![\w@])(?:"
    + "|".join(re.escape(w) for w in sorted(BLOCKED_WORDS, key=len, reverse=True))
    + r")(?![\w@])",
    re.IGNORECASE,
)
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# Assumption: "special characters" a flash message may not carry are anything but unaccented
# letters, digits, spaces and plain punctuation.
FLASH_FORBIDDEN = re.compile(r"[^A-Za-z0-9 .,;:!?¡¿()'\"\n-]")
SEND_AT_FORMAT = "%Y-%m-%d %H:%M:%S"


def _json(data: dict[str, Any], status: int = 200) -> web.Response:
    """Strict JSON, as the auth and user examples answer."""
    return web.json_response(data, status=status)


def _literal(status: bool, code: int | None, message: str, http: int = 200) -> web.Response:
    """The send example's style: bare keys, single quotes, `codigo`."""
    codigo = "" if code is None else f"codigo: {code}, "
    text = (
        f"{{ status: {'true' if status else 'false'}, tipo: 0, {codigo}"
        f"mensaje: '{message.replace(chr(39), chr(92) + chr(39))}' }}"
    )
    return web.Response(status=http, text=text, content_type="application/json")


def _is_send(request: web.Request) -> bool:
    return "apis" in request.match_info


def _flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def strip_accents(text: str) -> str:
    """What the provider sends without `conAcento`: the text without its accents."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def segments(text: str, accents: bool) -> int:
    """SMS segments billed: `conAcento` sends UCS-2 (70 a segment), otherwise GSM-7.

    The document: "conAcento | Bandera que indica si se quiere enviar un mensaje con acentos (solo
    70 caracteres por SMS)" (a flag to send a message with accents, only 70 characters a message).
    Assumption: without it the accents are stripped ("sin acentos" is the default) and every
    remaining character is one GSM-7 septet (two for the extension table).
    """
    if accents:
        units, single, multi = len(text.encode("utf-16-le")) // 2, UCS2_SINGLE, UCS2_MULTI
    else:
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in strip_accents(text))
        single, multi = GSM7_SINGLE, GSM7_MULTI
    return 1 if units <= single else math.ceil(units / multi)


def scheduled_at(message: SentMessage) -> datetime | None:
    """The instant a message's `fechaHoraEnvio` names, read as UTC.

    The provider's current README (go4itMX/API_SMS): "fechaHoraEnvio | Dia y hora en la cual se
    quiere enviar el mensaje (Zona horaria UTC - Coordinated Universal Time)" (day and hour to send
    the message, in UTC).
    """
    value = message.options.get("fechaHoraEnvio")
    if value is None:
        return None
    return datetime.strptime(str(value), SEND_AT_FORMAT).replace(tzinfo=UTC)


def urls_in(text: str) -> list[str]:
    """Links in a text, without the punctuation that ends a sentence."""
    return [url.rstrip(".,;:!?)") for url in URL_RE.findall(text)]


def strict_body(to: str, text: str) -> bytes:
    """The JSON body the C# and Java examples send."""
    return json.dumps({"to": to, "text": text}).encode()


def literal_body(to: str, text: str) -> bytes:
    """The body the PHP example sends: a JavaScript literal with bare keys."""
    return f'{{\n    to: "{to}",\n    text: "{text}"\n}}'.encode()


class EnvioSmsFake(FakeProvider):
    """EnvioSMS's documented API.

    `authorised_urls` holds the links the account may send (the document: a URL needs the
    provider's authorisation first). Tokens are random; `expire_tokens()` and `regenerate_keys()`
    play what the provider does to them.
    """

    key = "enviosms"
    name = "EnvioSMS"

    def __init__(
        self,
        *,
        username: str = "prueba",
        password: str = "prueba-password",
        balance: float = 100.0,
        price: float = 0.1,
        apik: str = "O347AAA1",
        apis: str = "CZYAADC3QXFVZ",
    ) -> None:
        """Default account: prueba / prueba-password, 100 MXN at 0.10 a segment, the doc's keys."""
        super().__init__()
        self.username, self.password = username, password
        self.balance, self.price = balance, price
        self.apik, self.apis = apik, apis
        self.level = 1
        self.tokens: set[str] = set()
        self.sent: list[SentMessage] = []
        self.authorised_urls: set[str] = set()
        # Endpoints ("user", "sms") this account may not use: answered 401 even with a fresh
        # token or keys. The document's 401 causes: "APIK o APIS incorrectos, Permisos
        # insuficientes" (wrong API key or secret, insufficient permissions).
        self.forbidden: set[str] = set()
        self._counter = 0

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields this fake accepts."""
        return {"username": self.username, "password": self.password}

    def expire_tokens(self) -> None:
        """Forget every token handed out (they expire on the provider's side)."""
        self.tokens.clear()

    def regenerate_keys(self) -> None:
        """New API key and secret, as the dashboard's "regenerate" does."""
        self.apik, self.apis = secrets.token_hex(4).upper(), secrets.token_hex(7).upper()

    def routes(self) -> list[web.RouteDef]:
        """The three documented endpoints (the PHP examples add a trailing slash)."""
        return [
            web.get("/auth/{user}/{password}", self._auth),
            web.get("/auth/{user}/{password}/", self._auth),
            web.get("/user/{token}", self._user),
            web.get("/user/{token}/", self._user),
            web.post("/sms/{apik}/{apis}", self._sms),
            web.post("/sms/{apik}/{apis}/", self._sms),
        ]

    def malformed_body(self) -> web.Response:
        """An HTML error page, as a proxy in front of the API gives."""
        return web.Response(text="<html><body>Bad gateway</body></html>", content_type="text/html")

    def auth_failure(self, request: web.Request) -> web.Response:
        """HTTP 401 with code 4002, in the endpoint's own style."""
        if _is_send(request):
            return _literal(False, 4002, CODES[4002], 401)
        return _json({"status": False, "code": 4002, "mensaje": CODES[4002]}, 401)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """A documented JSON code (4xxx, HTTP 200) or HTTP status (400, 401, 402, 404).

        The document gives no body for its HTTP statuses: these carry `status` and `mensaje`.
        """
        value = int(code)
        http, json_code = (value, None) if value < 1000 else (200, value)
        message = HTTP_REASONS.get(value) or CODES.get(value) or "Error desconocido"
        if value == 404:
            return web.Response(status=404, text=f"Cannot {request.method} {request.path}")
        if _is_send(request):
            return _literal(False, json_code, message, http)
        body: dict[str, Any] = {"status": False, "mensaje": message}
        if json_code is not None:
            body["code"] = json_code
        return _json(body, http)

    def snapshot(self) -> dict[str, Any]:
        """Sent messages and balance for the simulator page."""
        return {
            "balance": round(self.balance, 2),
            "unit": "MXN",
            "price": self.price,
            "authorised_urls": sorted(self.authorised_urls),
            "sent": [vars(m) for m in self.sent[-50:]],
        }

    async def _auth(self, request: web.Request) -> web.Response:
        user, password = request.match_info["user"], request.match_info["password"]
        if not (
            secrets.compare_digest(user.encode(), self.username.encode())
            and secrets.compare_digest(password.encode(), self.password.encode())
        ):
            return self.auth_failure(request)
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        return _json({"status": True, "code": 1002, "token": token})

    def _no_permission(self, request: web.Request) -> web.Response:
        """HTTP 401 "No Autorizado" without a JSON code, as for insufficient permissions."""
        if _is_send(request):
            return _literal(False, None, HTTP_REASONS[401], 401)
        return _json({"status": False, "mensaje": HTTP_REASONS[401]}, 401)

    async def _user(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.tokens:
            return self.auth_failure(request)
        if "user" in self.forbidden:
            return self._no_permission(request)
        return _json(
            {
                "status": True,
                "code": 1000,
                "usuario": self.username,
                "apik": self.apik,
                "apis": self.apis,
                "balance": round(self.balance, 4),
                "price": self.price,
                "nivel": self.level,
            }
        )

    async def _sms(self, request: web.Request) -> web.Response:
        if (request.match_info["apik"], request.match_info["apis"]) != (self.apik, self.apis):
            return self.auth_failure(request)
        if "sms" in self.forbidden:
            return self._no_permission(request)
        try:
            body = jsonish.loads(await request.read())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _literal(False, 4011, CODES[4011], 400)
        to, text = body.get("to"), body.get("text")
        if isinstance(to, int) and not isinstance(to, bool):
            to = str(to)
        if not isinstance(to, str) or not (len(to) == 10 and to.isascii() and to.isdigit()):
            return self._refuse(4010)
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            return self._refuse(4001)
        send_at = body.get("fechaHoraEnvio")
        if send_at is not None:
            try:
                datetime.strptime(str(send_at), SEND_AT_FORMAT)  # noqa: DTZ007 - UTC, see scheduled_at
            except ValueError:
                # Assumption: a date the provider cannot read is its "unknown error".
                return self._refuse(4000)
        if BLOCKED_RE.search(text):
            return self._refuse(4021)
        urls = urls_in(text)
        if _flag(body.get("flash")) and (urls or FLASH_FORBIDDEN.search(text)):
            return self._refuse(4023)
        if any(url not in self.authorised_urls for url in urls):
            return self._refuse(4022)
        cost = self.price * segments(text, _flag(body.get("conAcento")))
        if cost > self.balance + 1e-9:
            return _literal(False, None, "Saldo insuficiente", 402)
        self.balance -= cost
        self._counter += 1
        options = {k: body[k] for k in ("fechaHoraEnvio", "conAcento", "flash") if k in body}
        self.sent.append(SentMessage(to, text, str(self._counter), options))
        return _literal(True, 1001, "Envío en proceso")

    @staticmethod
    def _refuse(code: int) -> web.Response:
        return _literal(False, code, CODES[code])
