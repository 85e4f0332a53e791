"""A fake Itniotech: md5-signed headers, `status` as a string, /sendSms /getBalance /getReport /recordMo.

It answers as the provider documents: HTTP 200 with `{"status": "<code>", "reason": …}` for every
outcome, the status table's codes and reasons, times in ISO 8601 with +08:00. Pushes are built by
`report_push_body` and `inbound_push_body` in the documents' not-quite-JSON style.

Default account (the simulator uses it): key `bDqJFiq9`, secret `demo-api-secret`, app `demo-app`,
99.99 USD, 0.01 USD a message; inbound SMS arrive on `918663322141`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
import hashlib
import itertools
import json
import time
from typing import Any, Literal

from aiohttp import web

from custom_components.sms_gateways.gateways.itniotech import inbound_id
from tests.fakes.base import FakeProvider, SentMessage

# itniotech.com/api/sms/statusCode
STATUS_REASONS: dict[int, str] = {
    0: "success",
    -1: "Authentication error",
    -2: "Restricted IP access",
    -3: "Sensitive characters in SMS content",
    -4: "SMS content is empty",
    -5: "The SMS content is too long",
    -6: "SMS that is not a template",
    -7: "Phone number exceeds limit",
    -8: "The phone number is empty",
    -9: "Abnormal phone number",
    -10: "The customer's balance is insufficient",
    -11: "Incorrect time format",
    -12: "Platform reason, SMS submit fail,Please contact the administrator",
    -13: "User locked",
    -14: "Field is empty or query ID is abnormal",
    -15: "Frequent query",
    -16: "Timestamp expires",
    -17: "SMS template is empty",
    -18: "port program unusual",
    -19: "Confirm SMS pricing with the business team",
    -20: "Data existing",
    -21: "Data validation exception",
    -22: "Parameter exception",
    -23: "Data caps",
    -24: "Data unexisting",
    -25: "Out of time range",
    -26: "Getting fee faily",
    -27: "Period total send limit",
    -28: "Period phone send limit",
    -29: "WorkSpace is disabled",
    -30: "API Key is disabled",
    -31: "IP is not in the whitelist",
    -32: "API Key does not have permission to access the current application",
}
CST = timezone(timedelta(hours=8))
WALL_CLOCK = "%Y-%m-%d %H:%M:%S"
VIRTUAL_NUMBER = "918663322141"
REPLIED_MSGID = "2108021059531000096"
PushStyle = Literal["json", "document", "single_quotes", "bare_keys", "trailing_comma"]

# When the platform received each MO it lists, by (sender, text): its push of the same message
# carries the same time, as the real platform's does.
_RECEIVED: dict[tuple[str, str], datetime] = {}


def _answer(code: int, reason: str | None = None, **data: Any) -> web.Response:
    reason = reason or STATUS_REASONS.get(code, "error")
    return web.json_response({"status": str(code), "reason": reason, **data})


def _iso(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


@dataclass
class QueuedReport:
    """A report `/getReport` lists: 0 delivered, -1 sending, 1 failed."""

    message_id: str
    number: str
    status: int
    received: datetime


@dataclass
class QueuedMo:
    """An inbound SMS `/recordMo` lists."""

    number: str
    content: str
    received: datetime
    send_id: str


class ItniotechFake(FakeProvider):
    """Itniotech's documented API."""

    key = "itniotech"
    name = "Itniotech"

    def __init__(
        self,
        *,
        api_key: str = "bDqJFiq9",
        api_secret: str = "demo-api-secret",
        app_id: str = "demo-app",
        balance: float = 99.99,
        price: float = 0.01,
        virtual_number: str = VIRTUAL_NUMBER,
    ) -> None:
        """Default account: key bDqJFiq9, secret demo-api-secret, app demo-app, 99.99 USD."""
        super().__init__()
        self.api_key, self.api_secret, self.app_id = api_key, api_secret, app_id
        self.balance, self.price = balance, price
        self.virtual_number = virtual_number
        # Seconds a signature's timestamp may be off.
        self.clock_window = 60
        self.sent: list[SentMessage] = []
        self.reports: dict[str, QueuedReport] = {}
        self.inbound: list[QueuedMo] = []
        # Every accepted message is reported delivered at once (tests override with queue_report).
        self.auto_report = True
        # Numbers the platform cannot route: counted in `fail`, left out of `array`.
        self.refused_numbers: set[str] = set()
        # Every orderId the platform has taken (status table: "-20 Data existing").
        self.order_ids: set[str] = set()
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
        """A proxy's HTML error page."""
        return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")

    def auth_failure(self, request: web.Request) -> web.Response:
        """Status -1, with HTTP 200 as the API answers everything."""
        return _answer(-1, "auth error")

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """Any status code of the table, with its reason."""
        return _answer(int(code))

    def snapshot(self) -> dict[str, Any]:
        """Sent messages, balance and queues for the simulator page."""
        return {
            "balance": round(self.balance, 4),
            "unit": "USD",
            "sent": [asdict(m) for m in self.sent[-50:]],
            "queued_inbound": len(self.inbound),
            "reports": len(self.reports),
        }

    def queue_inbound(self, sender: str, text: str, *, when: float | None = None) -> str:
        """An SMS from `sender` that `/recordMo` will list; returns the id a client derives.

        The platform gives an MO no id: its `sendId` is the number it arrived on.
        """
        moment = datetime.fromtimestamp(time.time() if when is None else when, UTC)
        moment = moment.replace(microsecond=0)
        number = _digits(sender)
        self.inbound.append(QueuedMo(number, text, moment, self.virtual_number))
        _RECEIVED[(number, text)] = moment
        return inbound_id(number, text, moment.astimezone(CST).strftime(WALL_CLOCK))

    def queue_report(self, message_id: str, recipient: str, status: int | str | None = 0) -> None:
        """The report `/getReport` gives for `message_id` (0 delivered, -1 sending, 1 failed)."""
        code = int(status) if status is not None and str(status).lstrip("-").isdigit() else 0
        self.reports[message_id] = QueuedReport(
            message_id, _digits(recipient), code, datetime.now(UTC).replace(microsecond=0)
        )

    # -- the API ------------------------------------------------------------------------------

    def _signed(self, request: web.Request) -> web.Response | None:
        """-1 unless Api-Key and Sign = md5(key + secret + Timestamp) match; -16 if too old."""
        timestamp = request.headers.get("Timestamp", "")
        if request.headers.get("Api-Key") != self.api_key or not timestamp.isdigit():
            return self.auth_failure(request)
        expected = hashlib.md5(  # noqa: S324
            f"{self.api_key}{self.api_secret}{timestamp}".encode()
        ).hexdigest()
        if request.headers.get("Sign") != expected:
            return self.auth_failure(request)
        if abs(int(timestamp) - time.time()) > self.clock_window:
            return _answer(-16)
        return None

    async def _json(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _send(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        get = request.method == "GET"
        body = dict(request.query) if get else await self._json(request)
        if body is None:
            return _answer(-22)
        if body.get("appId") != self.app_id:
            return _answer(-32)
        raw_numbers, content = body.get("numbers", ""), body.get("content", "")
        sender, orders = body.get("senderId"), body.get("orderId")
        if not all(isinstance(v, str) for v in (raw_numbers, content)):
            return _answer(-22)
        if sender is not None and (not isinstance(sender, str) or len(sender) > 32):
            return _answer(-22)
        numbers = [n.strip() for n in raw_numbers.split(",") if n.strip()]
        order_ids = orders.split(",") if isinstance(orders, str) and orders else []
        if not numbers:
            return _answer(-8)
        if len(numbers) > (100 if get else 1000):
            return _answer(-7)
        if orders is not None and len(order_ids) != len(numbers):
            # "orderId 数量和手机号码数量需保持一致"
            return _answer(-22)
        if set(order_ids) & self.order_ids or len(set(order_ids)) != len(order_ids):
            # Assumption (the status table's "-20 Data existing"): an orderId already taken
            # refuses the whole request, and nothing of it is sent.
            return _answer(-20)
        if not content:
            return _answer(-4)
        if len(content) > 1024:
            return _answer(-5)
        valid = [i for i, n in enumerate(numbers) if n.isdigit() and n not in self.refused_numbers]
        cost = self.price * len(valid)
        if cost > self.balance + 1e-9:
            return _answer(-10)
        self.balance -= cost
        self.order_ids.update(order_ids)
        array = []
        for index in valid:
            number, message_id = numbers[index], str(next(self._ids))
            item = {"msgId": message_id, "number": number}
            options: dict[str, Any] = {"senderId": sender} if sender is not None else {}
            if order_ids:
                item["orderId"] = options["orderId"] = order_ids[index]
            self.sent.append(SentMessage(number, content, message_id, options))
            array.append(item)
            if self.auto_report:
                self.queue_report(message_id, number, 0)
        return _answer(0, success=str(len(valid)), fail=str(len(numbers) - len(valid)), array=array)

    async def _balance(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        return _answer(0, balance=f"{self.balance:.6f}", gift="50.00000", credit="0")

    async def _report(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        if request.query.get("appId") != self.app_id:
            return _answer(-32)
        ids = [i for i in request.query.get("msgIds", "").split(",") if i]
        if not ids:
            return _answer(-14)
        if len(ids) > 200:
            return _answer(-22)
        found = [self.reports[i] for i in ids if i in self.reports]
        counts = {code: sum(r.status == code for r in found) for code in (0, 1, -1)}
        return _answer(
            0,
            success=str(counts[0]),
            fail=str(counts[1]),
            sending=str(counts[-1]),
            nofound=str(len(ids) - len(found)),
            array=[
                {
                    "msgId": r.message_id,
                    "number": r.number,
                    "receiveTime": _iso(r.received),
                    "status": str(r.status),
                }
                for r in found
            ],
        )

    async def _record_mo(self, request: web.Request) -> web.Response:
        if (refusal := self._signed(request)) is not None:
            return refusal
        body = await self._json(request)
        if body is None:
            return _answer(-22)
        if body.get("appId") != self.app_id:
            return _answer(-32)
        page, size, params = body.get("current"), body.get("size"), body.get("params")
        if not isinstance(page, int) or not isinstance(size, int) or not isinstance(params, dict):
            return _answer(-22)
        if page < 1 or not 1 <= size <= 100:
            return _answer(-22)
        try:
            start = datetime.fromisoformat(params["strTime"])
            end = datetime.fromisoformat(params["endTime"])
        except (KeyError, TypeError, ValueError):
            return _answer(-11)
        start, end = (t if t.tzinfo else t.replace(tzinfo=CST) for t in (start, end))
        if end < start or end - start > timedelta(days=31):
            return _answer(-25)
        records = sorted(
            (mo for mo in self.inbound if start <= mo.received <= end), key=lambda m: m.received
        )
        chunk = records[(page - 1) * size : page * size]
        return _answer(
            0,
            data={
                "total": len(records),
                "size": size,
                "current": page,
                "pages": -(-len(records) // size),
                "records": [
                    {
                        "number": mo.number,
                        "sendId": mo.send_id,
                        "receiveTime": _iso(mo.received),
                        "content": mo.content,
                        "mcc": 404,
                        "mnc": -1,
                        "operator": "India",
                        "pricedetail": {
                            "pay": "0.01", "currency": "USD", "chargeCnt": 1, "price": "0.01"
                        },
                    }
                    for mo in chunk
                ],
            },
        )  # fmt: skip


# -- pushes ------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _render(value: Any, style: PushStyle, key: str | None = None) -> str:
    """`value` written as the provider's examples do in `style`."""
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            name = (
                k if style == "bare_keys" else _quote(k) if style == "single_quotes" else f'"{k}"'
            )
            items.append(f"{name}:{_render(v, style, k)}")
        return "{" + ",".join(items) + ("," if style == "trailing_comma" else "") + "}"
    if isinstance(value, str):
        quoted = style in ("single_quotes", "bare_keys") or (
            style == "document" and key in ("mcc", "mnc")
        )
        return _quote(value) if quoted else json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def report_push_body(
    message_id: str,
    mobile: str,
    status: int = 0,
    *,
    app_id: str = "demo-app",
    reason: str | None = None,
    timestamp_ms: int | None = None,
    style: PushStyle = "document",
) -> bytes:
    """A delivery report push; `"document"` copies the example's `"mcc":'404'` (not JSON).

    The push page (itniotech.com/api/sms/pushSmsReport): "status | Messages status:0- success,
    other- failures | Int" — so every status but 0 carries a failure reason here.
    """
    data = {
        "appId": app_id,
        "msgid": message_id,
        "mobile": mobile,
        "status": status,
        "reason": "0" if status == 0 else (reason or "UNDELIV"),
        "timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
        "mcc": "404",
        "mnc": "-1",
        "pricedetail": {"pay": "0.01", "currency": "USD", "chargeCnt": 1, "price": "0.01"},
    }
    return _render(data, style).encode()


def inbound_push_body(
    mobile: str,
    content: str,
    sendid: str = VIRTUAL_NUMBER,
    *,
    reply_time: datetime | str | None = None,
    msgid: str = REPLIED_MSGID,
    lenient: bool = False,
    style: PushStyle | None = None,
) -> bytes:
    """An inbound SMS push `{msgid, mobile, reply_time, content, sendid, …}`.

    `reply_time` defaults to when a fake listed the same message (else now), in China time as the
    document's "2022-11-09 11:00:00". `lenient` is short for the `"trailing_comma"` style.
    """
    if reply_time is None:
        reply_time = _RECEIVED.get((_digits(mobile), content), datetime.now(UTC))
    if isinstance(reply_time, datetime):
        reply_time = reply_time.astimezone(CST).strftime(WALL_CLOCK)
    data = {
        "msgid": msgid,
        "mobile": mobile,
        "reply_time": reply_time,
        "content": content,
        "sendid": sendid,
        "mcc": 404,
        "mnc": -1,
        "operator": "India",
        "pricedetail": {"pay": "0.01", "currency": "USD", "chargeCnt": 1, "price": "0.01"},
    }
    return _render(data, style or ("trailing_comma" if lenient else "json")).encode()
