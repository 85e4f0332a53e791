"""A fake EnvioSMS: auth → token → user (apik/apis) → one POST per number.

Auth and user answer strict JSON as documented; the send answer is the document's JavaScript
literal (`{ status: true, tipo: 0, codigo: 1001, mensaje: 'Envío en proceso' }`).
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from aiohttp import web

from custom_components.sms_gateways.gateways import jsonish
from custom_components.sms_gateways.gateways.text import analyse
from tests.fakes.base import FakeProvider, SentMessage

# The document's blocked-word catalogue (its single words; phrases and URLs are left out).
BLOCKED_WORDS = (
    "amlo", "voto", "nazi", "chinga", "pri", "prd", "epn", "aria", "hitler", "donativo", "meade",
    "anaya", "bronco", "votaciones", "votar", "vota", "casilla", "votacion", "findmyiphone",
)  # fmt: skip
URL_RE = re.compile(r"(https?://\S+|www\.\S+)", re.IGNORECASE)
FLASH_FORBIDDEN = re.compile(r"[^A-Za-z0-9 .,;:!?¡¿()'\"\n-]")


def _json(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _literal(status: bool, code: int, message: str, http: int = 200) -> web.Response:
    # The document's own style: bare keys, single quotes.
    text = (
        f"{{ status: {'true' if status else 'false'}, tipo: 0, codigo: {code}, "
        f"mensaje: '{message}' }}"
    )
    return web.Response(status=http, text=text, content_type="application/json")


class EnvioSmsFake(FakeProvider):
    """EnvioSMS's documented API."""

    key = "enviosms"

    def __init__(
        self,
        *,
        username: str = "prueba",
        password: str = "prueba-password",
        balance: float = 100.0,
        price: float = 0.1,
    ) -> None:
        """Default account: prueba / prueba-password, 100 MXN at 0.10 a segment."""
        super().__init__()
        self.username, self.password = username, password
        self.balance, self.price = balance, price
        self.apik, self.apis = "O347AAA1", "CZYAADC3QXFVZ"
        self.tokens: set[str] = set()
        self.sent: list[SentMessage] = []
        self.authorised_urls: set[str] = set()
        self._counter = 0

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields this fake accepts."""
        return {"username": self.username, "password": self.password}

    def routes(self) -> list[web.RouteDef]:
        """The three documented endpoints (with or without a trailing slash)."""
        return [
            web.get("/auth/{user}/{password}", self._auth),
            web.get("/auth/{user}/{password}/", self._auth),
            web.get("/user/{token}", self._user),
            web.post("/sms/{apik}/{apis}", self._sms),
            web.post("/sms/{apik}/{apis}/", self._sms),
        ]

    def malformed_body(self) -> web.Response:
        """An HTML error page."""
        return web.Response(text="<html><body>Bad gateway</body></html>", content_type="text/html")

    def auth_failure(self, request: web.Request) -> web.Response:
        """HTTP 401 with code 4002."""
        return _json({"status": False, "code": 4002, "mensaje": "Credenciales inválidas"}, 401)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """A documented JSON code (4xxx) or HTTP status (400, 401, 402, 404)."""
        value = int(code)
        if value < 1000:
            return _json({"status": False, "code": value}, value)
        return _literal(False, value, f"Error {value}")

    def snapshot(self) -> dict[str, Any]:
        """Sent messages and balance for the simulator page."""
        return {
            "balance": round(self.balance, 2),
            "unit": "MXN",
            "sent": [vars(m) for m in self.sent[-50:]],
        }

    async def _auth(self, request: web.Request) -> web.Response:
        user, password = request.match_info["user"], request.match_info["password"]
        if (user, password) != (self.username, self.password):
            return self.auth_failure(request)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return _json({"status": True, "code": 1002, "token": token})

    async def _user(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.tokens:
            return self.auth_failure(request)
        return _json(
            {
                "status": True,
                "code": 1000,
                "usuario": self.username,
                "apik": self.apik,
                "apis": self.apis,
                "balance": round(self.balance, 4),
                "price": self.price,
                "nivel": 1,
            }
        )

    async def _sms(self, request: web.Request) -> web.Response:
        if (request.match_info["apik"], request.match_info["apis"]) != (self.apik, self.apis):
            return self.auth_failure(request)
        try:
            body = jsonish.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return _literal(False, 4011, "No se recibió JSON del mensaje", 400)
        to, text = str(body.get("to", "")), str(body.get("text", ""))
        if not (len(to) == 10 and to.isdigit()):
            return _literal(False, 4010, "El número de teléfono no es válido")
        if not text or len(text) > 509:
            return _literal(False, 4001, "La longitud del parámetro es incorrecta")
        words = set(re.findall(r"\w+", text.lower()))
        if words & set(BLOCKED_WORDS):
            return _literal(False, 4021, "No se pueden enviar mensajes con palabras bloqueadas")
        urls = URL_RE.findall(text)
        if body.get("flash") and (urls or FLASH_FORBIDDEN.search(text)):
            return _literal(False, 4023, "No se pueden enviar mensajes flash con ligas")
        if any(url not in self.authorised_urls for url in urls):
            return _literal(False, 4022, "No se pueden enviar mensajes con urls no autorizadas")
        cost = self.price * analyse(text).segments
        if cost > self.balance + 1e-9:
            return _json({"status": False, "code": 402, "mensaje": "Saldo insuficiente"}, 402)
        self.balance -= cost
        self._counter += 1
        options = {k: body[k] for k in ("fechaHoraEnvio", "conAcento", "flash") if k in body}
        self.sent.append(SentMessage(to, text, str(self._counter), options))
        return _literal(True, 1001, "Envío en proceso")


def strict_body(to: str, text: str) -> bytes:
    """The JSON body the C# and Java examples send."""
    return json.dumps({"to": to, "text": text}).encode()
