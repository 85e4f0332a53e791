"""A fake Itniotech: md5-signed headers, `status` as a string, sendSms/getBalance/getReport/recordMo."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

from aiohttp import web

from custom_components.sms_gateways.gateways import jsonish
from tests.fakes.base import FakeProvider, SentMessage


def _ok(**data: Any) -> web.Response:
    return web.json_response({"status": "0", "reason": "success", **data})


def _status(code: int, reason: str) -> web.Response:
    return web.json_response({"status": str(code), "reason": reason})


class ItniotechFake(FakeProvider):
    """Itniotech's documented API."""

    key = "itniotech"

    def __init__(
        self,
        *,
        api_key: str = "bDqJFiq9",
        api_secret: str = "demo-api-secret",
        app_id: str = "demo-app",
        balance: float = 99.99,
        price: float = 0.01,
    ) -> None:
        """Default account: key bDqJFiq9, secret demo-api-secret, app demo-app, 99.99 USD."""
        super().__init__()
        self.api_key, self.api_secret, self.app_id = api_key, api_secret, app_id
        self.balance, self.price = balance, price
        self.sent: list[SentMessage] = []
        self.reports: dict[str, dict[str, Any]] = {}
        self.inbound: list[dict[str, Any]] = []
        self.auto_report = True
        # Numbers the fake leaves out of `array` (as the API does with numbers it cannot route).
        self.refused_numbers: set[str] = set()
        self._ids = itertools.count(2108021054011000095)

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields this fake accepts."""
        return {"api_key": self.api_key, "api_secret": self.api_secret, "app_id": self.app_id}

    def routes(self) -> list[web.RouteDef]:
        """The documented endpoints."""
        return [
            web.post("/sendSms", self._send),
            web.get("/sendSms", self._send),
            web.get("/getBalance", self._balance),
            web.get("/getReport", self._report),
            web.post("/recordMo", self._record_mo),
        ]

    def malformed_body(self) -> web.Response:
        """Not JSON."""
        return web.Response(text="<html>502</html>", content_type="text/html")

    def auth_failure(self, request: web.Request) -> web.Response:
        """Status -1 (HTTP 200, as the API does)."""
        return _status(-1, "auth error")

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """Any documented status code."""
        return _status(int(code), f"error {code}")

    def snapshot(self) -> dict[str, Any]:
        """Sent messages, balance and queues for the simulator page."""
        return {
            "balance": round(self.balance, 4),
            "unit": "USD",
            "sent": [vars(m) for m in self.sent[-50:]],
            "queued_inbound": len(self.inbound),
        }

    def queue_inbound(self, sender: str, text: str, *, when: float | None = None) -> str:
        """An MO record `/recordMo` will list (sender without `+`)."""
        send_id = str(next(self._ids))
        moment = time.gmtime(when if when is not None else time.time())
        self.inbound.append(
            {
                "number": sender.lstrip("+"),
                "sendId": send_id,
                "receiveTime": time.strftime("%Y-%m-%d %H:%M:%S", moment),
                "content": text,
            }
        )
        return send_id

    def queue_report(self, message_id: str, recipient: str, status: int = 0) -> None:
        """The report `/getReport` gives for `message_id` (0 delivered, -1 sending, 1 failed)."""
        self.reports[message_id] = {
            "msgId": message_id,
            "number": recipient.lstrip("+"),
            "receiveTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "status": status,
        }

    def _signed(self, request: web.Request) -> web.Response | None:
        timestamp = request.headers.get("Timestamp", "")
        if request.headers.get("Api-Key") != self.api_key or not timestamp.isdigit():
            return self.auth_failure(request)
        expected = hashlib.md5(  # noqa: S324
            f"{self.api_key}{self.api_secret}{timestamp}".encode()
        ).hexdigest()
        if request.headers.get("Sign") != expected:
            return self.auth_failure(request)
        if abs(int(timestamp) - time.time()) > 60:
            return _status(-16, "timestamp expires")
        return None

    async def _json(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = jsonish.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    async def _send(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        body = dict(request.query) if request.method == "GET" else await self._json(request)
        if body is None:
            return _status(-18, "bad request")
        numbers = [n for n in str(body.get("numbers", "")).split(",") if n]
        content = str(body.get("content", ""))
        orders = [o for o in str(body.get("orderId", "")).split(",") if o]
        if body.get("appId") != self.app_id:
            return _status(-1, "appId error")
        if not numbers:
            return _status(-8, "numbers is empty")
        if len(numbers) > (100 if request.method == "GET" else 1000):
            return _status(-7, "too many numbers")
        if not content:
            return _status(-4, "content is empty")
        if len(content) > 1024:
            return _status(-5, "content too long")
        valid = [
            (i, n)
            for i, n in enumerate(numbers)
            if n.isdigit() and 7 <= len(n) <= 15 and n not in self.refused_numbers
        ]
        if self.price * len(valid) > self.balance + 1e-9:
            return _status(-10, "insufficient balance")
        self.balance -= self.price * len(valid)
        array = []
        for index, number in valid:
            message_id = str(next(self._ids))
            order = orders[index] if index < len(orders) else ""
            options = {k: body[k] for k in ("senderId",) if k in body}
            self.sent.append(SentMessage(number, content, message_id, options))
            array.append({"msgId": message_id, "number": number, "orderId": order})
            if self.auto_report:
                self.queue_report(message_id, number, 0)
        return _ok(success=str(len(valid)), fail=str(len(numbers) - len(valid)), array=array)

    async def _balance(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        return _ok(balance=f"{self.balance:.6f}", gift="50.00000", credit="0")

    async def _report(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        ids = [i for i in request.query.get("msgIds", "").split(",") if i]
        if len(ids) > 200:
            return _status(-7, "too many msgIds")
        return _ok(array=[self.reports[i] for i in ids if i in self.reports])

    async def _record_mo(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        body = await self._json(request)
        if body is None:
            return _status(-18, "bad request")
        raw = body.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        start, end = str(params.get("strTime", "")), str(params.get("endTime", "9999"))
        size = max(1, min(100, int(body.get("size", 100))))
        page = max(1, int(body.get("current", 1)))
        records = [r for r in self.inbound if start <= r["receiveTime"] <= end]
        chunk = records[(page - 1) * size : page * size]
        pages = max(1, -(-len(records) // size))
        return _ok(data={"records": chunk, "total": len(records), "pages": pages, "current": page})


def report_push_body(
    message_id: str, mobile: str, status: int = 0, *, app_id: str = "demo-app", lenient: bool = True
) -> bytes:
    """A delivery report push as the document shows it (not strict JSON when `lenient`)."""
    if lenient:
        return (
            f"{{appId: '{app_id}', msgid: '{message_id}', mobile: '{mobile}', status: {status}, "
            f"reason: 'ok', timestamp: {int(time.time() * 1000)},}}"
        ).encode()
    return json.dumps(
        {
            "appId": app_id,
            "msgid": message_id,
            "mobile": mobile,
            "status": str(status),
            "reason": "ok",
            "timestamp": int(time.time() * 1000),
        }
    ).encode()


def inbound_push_body(mobile: str, content: str, sendid: str, *, lenient: bool = False) -> bytes:
    """An inbound push `{msgid, mobile, reply_time, content, sendid}`."""
    data = {
        "msgid": f"mo{sendid}",
        "mobile": mobile,
        "reply_time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "content": content,
        "sendid": sendid,
    }
    text = json.dumps(data, ensure_ascii=False)
    return (text[:-1] + ",}" if lenient else text).encode()
