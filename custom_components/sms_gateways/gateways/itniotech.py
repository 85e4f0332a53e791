"""Itniotech: JSON over HTTPS, every call signed with md5(key + secret + timestamp).

Sends take up to 1000 numbers a POST; reports are fetched by message id (200 a call); inbound
messages are paged from `/recordMo`; the provider can also push both to our webhook (unsigned: the
webhook id is the only secret).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
import hashlib
import time
from typing import Any, ClassVar, NoReturn
import uuid

from . import jsonish, numbers
from .base import (
    AccountInfo,
    Balance,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Gateway,
    HttpAnswer,
    InboundMessage,
    RecipientResult,
    SendOptions,
    WebhookPayload,
)
from .errors import (
    AuthError,
    GatewayError,
    InvalidOptionError,
    PayloadError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)

MAX_SENDER_ID = 32
REPORT_IDS_PER_CALL = 200
MO_PAGE_SIZE = 100
MO_MAX_PAGES = 20
# Assumption: `/recordMo` times and report `receiveTime` strings are "yyyy-MM-dd HH:mm:ss" in UTC.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
FIRST_POLL_WINDOW = timedelta(minutes=10)

# Status codes of the document and the provider's public table: code -> (class, reason).
_STATUS: dict[int, tuple[type[GatewayError], str]] = {
    -1: (AuthError, "Authentication error"),
    # Assumption: an IP restriction is refused, not an authentication failure (the key is right).
    -2: (RefusedError, "IP access restricted"),
    -3: (RefusedError, "The message contains sensitive words"),
    -4: (RefusedError, "The message is empty"),
    -5: (RefusedError, "The message is too long"),
    -6: (RefusedError, "Not a template message"),
    -7: (RefusedError, "Too many numbers"),
    -8: (RefusedError, "No number"),
    -9: (RefusedError, "Abnormal number"),
    -10: (RefusedError, "Insufficient balance"),
    -13: (RefusedError, "The user is locked"),
    -15: (TemporaryError, "Queried too often"),
    -16: (ProtocolError, "Timestamp out of range: the clock of this machine is off"),
    -18: (TemporaryError, "Port program error"),
    -19: (RefusedError, "Ask your account manager to bind a channel"),
    -27: (RefusedError, "Sending limit reached"),
    -28: (RefusedError, "Sending limit reached"),
    -31: (RefusedError, "IP not whitelisted"),
}
_REPORT_STATUS = {0: DeliveryStatus.DELIVERED, -1: DeliveryStatus.PENDING, 1: DeliveryStatus.FAILED}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _raise(cls: type[GatewayError], code: str | None, reason: str) -> NoReturn:
    raise cls(f"Itniotech: {reason}" + (f" ({code})" if code else ""), code=code, reason=reason)


def parse_answer(answer: HttpAnswer) -> dict[str, Any]:
    """The JSON body of a successful call; documented status codes raise."""
    try:
        body = jsonish.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        if answer.status in (401, 403):
            _raise(AuthError, str(answer.status), "Authentication error")
        raise ProtocolError(f"Itniotech answered HTTP {answer.status} with no JSON")
    status = _int(body.get("status"))
    reason = body.get("reason") if isinstance(body.get("reason"), str) else None
    if status is None:
        raise ProtocolError("Itniotech answered without a status")
    if status == 0:
        return body
    cls, default = _STATUS.get(status, (RefusedError, "Refused"))
    _raise(cls, str(status), reason or default)


def _time(value: Any) -> datetime | None:
    """A provider time: "yyyy-MM-dd HH:mm:ss" (UTC), or unix seconds / milliseconds."""
    number = _int(value) if not isinstance(value, float) else int(value)
    if number is not None:
        seconds = number / 1000 if number > 10**11 else number
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.strptime(value.strip(), TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _text(item: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _report(item: Mapping[str, Any]) -> DeliveryReport | None:
    message_id = _text(item, "msgId", "msgid")
    recipient = _text(item, "number", "mobile")
    code = _int(item.get("status"))
    if message_id is None or recipient is None or code is None:
        return None
    reason = _text(item, "reason")
    return DeliveryReport(
        message_id=message_id,
        recipient=recipient,
        status=_REPORT_STATUS.get(code, DeliveryStatus.FAILED),
        occurred_at=_time(item.get("receiveTime", item.get("timestamp"))),
        reason=reason if code != 0 else None,
    )


def _inbound(item: Mapping[str, Any], received_default: datetime) -> InboundMessage | None:
    sender = _text(item, "number", "mobile")
    content = item.get("content")
    if sender is None or not isinstance(content, str) or not content:
        return None
    received = _time(item.get("receiveTime", item.get("reply_time"))) or received_default
    # Assumption: `sendId`/`sendid` (or the push's `msgid`) identifies the MO record.
    message_id = _text(item, "sendId", "sendid", "msgid", "id")
    if message_id is None:
        digest = hashlib.sha256(f"{sender}|{content}|{received.isoformat()}".encode()).hexdigest()
        message_id = f"fp:{digest}"
    return InboundMessage(message_id, sender, content, received)


def parse_push(body: bytes, now: datetime) -> WebhookPayload:
    """A push: a report `{msgid, mobile, status…}` or an inbound `{mobile, content…}`, or a list."""
    try:
        data = jsonish.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("Not a JSON push") from None
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > 1000:
        raise PayloadError("Empty or oversized push")
    messages: list[InboundMessage] = []
    reports: list[DeliveryReport] = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("A push item is not an object")
        if "content" in item or "reply_time" in item:
            message = _inbound(item, now)
            if message is None:
                raise PayloadError("An inbound push without sender or content")
            messages.append(message)
        else:
            report = _report(item)
            if report is None:
                raise PayloadError("A push that is neither a report nor a message")
            reports.append(report)
    return WebhookPayload(tuple(messages), tuple(reports))


class ItniotechGateway(Gateway):
    """Itniotech's SMS API."""

    key = "itniotech"
    name = "Itniotech"
    model = "SMS API"
    default_url = "https://api.itniotech.com/sms"
    dashboard_url = "https://www.itniotech.com"
    capabilities = Capabilities(
        max_length=1024,
        max_recipients_per_request=1000,
        max_concurrent_requests=2,
        balance=True,
        # Assumption: the API gives no currency; Itniotech bills in US dollars.
        balance_unit="USD",
        poll_inbound=True,
        poll_reports=True,
        webhook=True,
        sender_id=True,
    )
    fields: ClassVar[tuple[str, ...]] = ("api_key", "api_secret", "app_id", "sender_id")
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "api_secret")
    optional_fields: ClassVar[tuple[str, ...]] = ("sender_id",)

    def _headers(self) -> dict[str, str]:
        key, secret = self._credentials["api_key"], self._credentials["api_secret"]
        timestamp = str(int(time.time()))
        sign = hashlib.md5(f"{key}{secret}{timestamp}".encode()).hexdigest()  # noqa: S324
        return {
            "Api-Key": key,
            "Timestamp": timestamp,
            "Sign": sign,
            "Content-Type": "application/json;charset=UTF-8",
        }

    async def _call(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> dict[str, Any]:
        return parse_answer(
            await self._request(method, path, params=params, json=json, headers=self._headers())
        )

    async def async_validate(self) -> AccountInfo:
        """`/getBalance` proves the key and secret; the app id names the account."""
        balance = await self.async_balance()
        app_id = self._credentials["app_id"]
        return AccountInfo(account_id=app_id, name=app_id, balance=balance)

    async def async_balance(self) -> Balance:
        """`/getBalance`'s `balance` (gift credit is not counted)."""
        body = await self._call("GET", "/getBalance")
        try:
            return Balance(float(str(body.get("balance"))), "USD")
        except ValueError:
            raise ProtocolError("Itniotech gave no balance") from None

    def format_number(self, number: str) -> str:
        """Country code and number, no `+`."""
        return numbers.digits_with_country_code(number, self.default_region)

    def check_options(self, options: SendOptions) -> None:
        """The sender id is limited to 32 characters."""
        super().check_options(options)
        sender = options.sender_id or self._credentials.get("sender_id")
        if sender and len(sender) > MAX_SENDER_ID:
            raise InvalidOptionError(
                "The sender id is longer than 32 characters",
                {"option": "sender_id", "provider": self.name},
            )

    async def _async_send_batch(
        self, numbers_: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        # A local order id per number maps the answer back even if the provider reformats numbers.
        # Assumption: the provider echoes `orderId` in `array`.
        order_ids = {uuid.uuid4().hex[:16]: n for n in numbers_}
        body: dict[str, Any] = {
            "appId": self._credentials["app_id"],
            "numbers": ",".join(numbers_),
            "content": text,
            "orderId": ",".join(order_ids),
        }
        if sender := options.sender_id or self._credentials.get("sender_id"):
            body["senderId"] = sender
        answer = await self._call("POST", "/sendSms", json=body)
        accepted: dict[str, str] = {}
        items = answer.get("array")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not (msg_id := _text(item, "msgId")):
                continue
            number = order_ids.get(str(item.get("orderId"))) or _text(item, "number")
            if number is not None:
                accepted[number] = msg_id
        return [
            RecipientResult(n, True, message_id=accepted[n])
            if n in accepted
            else RecipientResult(n, False, reason="Not accepted by Itniotech")
            for n in numbers_
        ]

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """`/getReport` for the ids still pending, 200 a call."""
        reports: list[DeliveryReport] = []
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), REPORT_IDS_PER_CALL):
            chunk = ids[start : start + REPORT_IDS_PER_CALL]
            body = await self._call(
                "GET",
                "/getReport",
                params={"appId": self._credentials["app_id"], "msgIds": ",".join(chunk)},
            )
            items = body.get("array")
            reports.extend(
                report
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict) and (report := _report(item)) is not None
            )
        return reports

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """`/recordMo` pages from `since` (a short window back on the first poll) to now."""
        now = datetime.now(UTC)
        start = since if since is not None else now - FIRST_POLL_WINDOW
        messages: list[InboundMessage] = []
        for page in range(1, MO_MAX_PAGES + 1):
            body = await self._call(
                "POST",
                "/recordMo",
                json={
                    "appId": self._credentials["app_id"],
                    "current": page,
                    "size": MO_PAGE_SIZE,
                    "params": {
                        "strTime": start.astimezone(UTC).strftime(TIME_FORMAT),
                        "endTime": now.strftime(TIME_FORMAT),
                    },
                },
            )
            data = body.get("data")
            records = data.get("records") if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise ProtocolError("Itniotech's /recordMo answer has no records")
            messages.extend(
                message
                for item in records
                if isinstance(item, dict) and (message := _inbound(item, now)) is not None
            )
            pages = _int(data.get("pages")) if isinstance(data, dict) else None
            if len(records) < MO_PAGE_SIZE or (pages is not None and page >= pages):
                break
        return messages

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookPayload:
        """A report or inbound push (lenient JSON, unsigned)."""
        moment = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
        return parse_push(body, moment)
