"""Echo: a minimal provider and its fake, to test what every gateway shares."""

from __future__ import annotations

from collections.abc import Sequence
import json
from typing import Any

from aiohttp import web

from custom_components.sms_gateways.gateways.client import Gateway
from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    ProtocolError,
)
from custom_components.sms_gateways.gateways.models import (
    AccountInfo,
    Capabilities,
    RecipientResult,
    SendOptions,
)
from custom_components.sms_gateways.gateways.numbers import to_e164
from tests.fakes.base import FakeProvider


class EchoFake(FakeProvider):
    """Accepts every number except those ending in 0; answers 401 for the key "bad"."""

    key = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    @property
    def credentials(self) -> dict[str, str]:
        return {"api_key": "good"}

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/send", self._send)]

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if request.headers.get("key") == "bad":
            return web.Response(status=401)
        self.batches.append(body["to"])
        return web.json_response(
            [{"to": n, "ok": not n.endswith("0"), "id": f"id-{n}"} for n in body["to"]]
        )

    def malformed_body(self) -> web.Response:
        return web.Response(text="<html>")

    def auth_failure(self, request: web.Request) -> web.Response:
        return web.Response(status=401)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        return web.Response(status=int(code))


class EchoGateway(Gateway):
    """A minimal provider: 3 numbers a request, two requests at once."""

    key = "echo"
    name = "Echo"
    default_url = "http://127.0.0.1:9"
    capabilities = Capabilities(
        max_length=20, max_recipients_per_request=3, max_concurrent_requests=2, flash=True
    )

    async def async_validate(self) -> AccountInfo:
        return AccountInfo("a", "a")

    def format_number(self, number: str) -> str:
        return to_e164(number, "MX")

    async def _async_send_batch(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        answer = await self._request(
            "POST",
            "/send",
            json={"to": list(numbers)},
            headers={"key": self._credentials["api_key"]},
        )
        if answer.status == 401:
            raise AuthError("rejected", code="401")
        try:
            items: list[dict[str, Any]] = json.loads(answer.body)
        except ValueError:
            raise ProtocolError("not JSON") from None
        return [
            RecipientResult(
                i["to"], i["ok"], i["id"] if i["ok"] else None, None if i["ok"] else "no"
            )
            for i in items
        ]


NUMBERS = [f"+52551234567{i}" for i in range(8)]
