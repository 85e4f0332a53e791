"""Talk to Itniotech.

JSON over HTTPS, every call signed with md5(key + secret + timestamp).

Sends take up to 1000 numbers a POST; reports are fetched by message id (200 a call); inbound
messages are paged from `/recordMo`; the provider can also push both to our webhook (unsigned: the
webhook id is the only secret).

Beyond the (Chinese) send document, the field names, time formats and the status table come from the
provider's public pages and those of its white-label twin (Onbuka), which runs the same API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
import hashlib
import math
import re
import time
from typing import Any, NoReturn

from . import _parse, jsonish, numbers
from .client import Gateway
from .exceptions import (
    AuthError,
    GatewayError,
    InvalidOptionError,
    PayloadError,
    ProtocolError,
    RefusedError,
    TemporaryError,
)
from .models import (
    AccountInfo,
    Balance,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    RecipientResult,
    SendOptions,
    WebhookPayload,
)
from .transport import HttpAnswer

MAX_SENDER_ID = 32
REPORT_IDS_PER_CALL = 200
MO_PAGE_SIZE = 100
# A poll reads at most this many pages (2000 messages); the next poll overlaps and goes on.
MO_MAX_PAGES = 20
FIRST_POLL_WINDOW = timedelta(minutes=10)
# Assumption: `/recordMo` answers at most a month a query (the twin documents "a month").
MO_MAX_WINDOW = timedelta(days=30)
# Assumption: times written without a zone (the inbound push's `reply_time`, "2022-11-09 11:00:00")
# are China Standard Time: every zoned time the provider documents carries +08:00. Queries are sent
# in that zone too, as the documents write them ("2022-08-01T00:00:00+08:00").
PROVIDER_TZ = timezone(timedelta(hours=8))
NOT_ACCEPTED = "not accepted by Itniotech"
_WALL_CLOCK = "%Y-%m-%d %H:%M:%S"
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_PHONE = re.compile(r"\+?[0-9]{6,15}")
_MAX_REASON = 200

# The provider's status table (itniotech.com/api/sms/statusCode), -1 to -32: code -> (class, text).
# Codes the table does not list are refusals carrying the provider's own reason.
_STATUS: dict[int, tuple[type[GatewayError], str]] = {
    -1: (AuthError, "Authentication error"),
    # Assumption: an IP restriction is a refusal, not rejected credentials (the key is right; a new
    # one would not help, so no reauthentication).
    -2: (RefusedError, "Restricted IP access"),
    -3: (RefusedError, "Sensitive characters in SMS content"),
    -4: (RefusedError, "SMS content is empty"),
    -5: (RefusedError, "The SMS content is too long"),
    -6: (RefusedError, "SMS that is not a template"),
    -7: (RefusedError, "Phone number exceeds limit"),
    -8: (RefusedError, "The phone number is empty"),
    -9: (RefusedError, "Abnormal phone number"),
    -10: (RefusedError, "The customer's balance is insufficient"),
    # Only our own query times can be malformed: a mismatch with the provider, not a refusal.
    -11: (ProtocolError, "Incorrect time format"),
    -12: (RefusedError, "Platform reason, SMS submit fail, please contact the administrator"),
    -13: (RefusedError, "User locked"),
    -14: (RefusedError, "Field is empty or query ID is abnormal"),
    -15: (TemporaryError, "Frequent query"),
    # The signature's timestamp is outside the provider's window: the clock here is wrong.
    -16: (ProtocolError, "Timestamp expires"),
    -17: (RefusedError, "SMS template is empty"),
    -18: (TemporaryError, "Port program unusual"),
    -19: (RefusedError, "Contact your account manager to bind a channel"),
    # With `orderId`s unique per message (see `_order_ids`), only a repeated one can be "existing".
    -20: (RefusedError, "Data existing"),
    -21: (RefusedError, "Data validation exception"),
    -22: (RefusedError, "Parameter exception"),
    -23: (RefusedError, "Data caps"),
    -24: (RefusedError, "Data unexisting"),
    -25: (RefusedError, "Out of time range"),
    -26: (RefusedError, "Getting fee fail"),
    -27: (RefusedError, "Period total send limit"),
    -28: (RefusedError, "Period phone send limit"),
    -29: (RefusedError, "WorkSpace is disabled"),
    # A disabled key, or one without access to the app id, is a credential the user must replace.
    -30: (AuthError, "API Key is disabled"),
    -31: (RefusedError, "IP is not in the whitelist"),
    -32: (AuthError, "API Key does not have permission to access the current application"),
}
_UNLISTED: tuple[type[GatewayError], str] = (RefusedError, "Refused")
# Said after the reason of these codes (a -20's own reason may already say it).
_HINTS = {
    -16: "the clock of this machine is off",
    -20: "an orderId was already used; nothing was resent",
}
# Polled `/getReport` (itniotech.com/api/sms/getReport): "status | Messages status:0: sent
# successfully, -1:sent in, 1:sent failed" — -1 is still sending.
_REPORT_STATUS = {0: DeliveryStatus.DELIVERED, -1: DeliveryStatus.PENDING, 1: DeliveryStatus.FAILED}
# Pushed reports keep another table (itniotech.com/api/sms/pushSmsReport): "status | Messages
# status:0- success, other- failures | Int"; the Chinese page: "状态码:0成功,其它失败" (0 success,
# anything else failure). A pushed -1 is a failure, and the last word on the message.
_PUSH_DELIVERED = 0
Sender = Callable[[str], str]


# -- answers ---------------------------------------------------------------------------------


def _raise(code: int, reason: str | None) -> NoReturn:
    """Raise the error `_STATUS` documents for `code`, with a hint where one helps."""
    text = (reason or "").strip()[:_MAX_REASON]
    hint = _HINTS.get(code, "")
    if code == -20 and hint in text:
        hint = ""
    _parse.raise_coded("Itniotech", _STATUS, code, text, detail=hint, unknown=_UNLISTED)


def parse_answer(answer: HttpAnswer) -> dict[str, Any]:
    """Return the body of a successful call; raise the error any other status means.

    `status` comes as a string ("0") in the documents and as a number from some servers.
    """
    try:
        body = jsonish.loads(answer.body)
    except ValueError:  # UnicodeDecodeError included
        body = None
    if not isinstance(body, dict):
        if answer.status in (401, 403):
            raise AuthError(f"Itniotech rejected the credentials (HTTP {answer.status})")
        raise ProtocolError(f"Itniotech answered HTTP {answer.status} with no JSON object")
    status = _parse.integer(body.get("status"))
    if status is None:
        if answer.status in (401, 403):
            raise AuthError(f"Itniotech rejected the credentials (HTTP {answer.status})")
        raise ProtocolError("Itniotech answered without a status")
    if status != 0:
        reason = body.get("reason")
        _raise(status, reason if isinstance(reason, str) else None)
    return body


def parse_balance(body: Mapping[str, Any]) -> Balance:
    """Read the paid balance of `{"balance": "99.990000", "gift": "50.00000", "credit": "0"}`."""
    value = body.get("balance")
    try:
        amount = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        amount = math.nan
    if isinstance(value, bool) or not math.isfinite(amount):
        raise ProtocolError("Itniotech gave no balance")
    # Assumption: the API gives no currency; Itniotech bills in US dollars. Gift credit is left out.
    return Balance(amount, "USD")


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _international(number: str) -> str:
    """Return a sender in E.164 when it is a valid number (digits: country code and number).

    The gateway passes its own `sender` (which also knows the entry's default country).
    """
    return numbers.sender_e164(number, None, country_code_digits=True)


def parse_send(
    body: Mapping[str, Any], numbers_: Sequence[str], order_ids: Mapping[str, str]
) -> list[RecipientResult]:
    """Return one result per number: `array` lists only the numbers the provider accepted.

    Each entry is matched by the `orderId` we gave its number, else by its `number`.
    """
    by_digits = {_digits(n): n for n in numbers_}
    accepted: dict[str, str | None] = {}
    items = body.get("array")
    if isinstance(items, list):
        for item in items:
            if not isinstance(item, dict) or not (msg_id := _parse.first(item, "msgId", "msgid")):
                continue
            order = _parse.first(item, "orderId") or None
            number = order_ids.get(order) if order is not None else None
            if number is None and (echoed := _parse.first(item, "number", "mobile")):
                number = by_digits.get(_digits(echoed))
            if number is not None:
                accepted[number] = msg_id
    elif items is None and _parse.integer(body.get("success")) in (0, len(numbers_)):
        # No list, but the count tells: all sent (without ids to track) or none.
        if _parse.integer(body.get("success")):
            accepted = dict.fromkeys(numbers_)
    else:
        raise ProtocolError("Itniotech did not say which numbers it accepted")
    return [
        RecipientResult(n, True, message_id=accepted[n])
        if n in accepted
        else RecipientResult(n, False, reason=NOT_ACCEPTED)
        for n in numbers_
    ]


def _when(value: Any) -> tuple[datetime, str] | None:
    """Return a provider time, aware, and its wall-clock form as the provider wrote it.

    Accepted: ISO 8601 with or without a zone ("2021-02-12T09:30:03+08:00", "2022-11-09 11:00:00")
    and unix seconds or milliseconds (the report push's `timestamp`). The wall clock, without zone,
    is what a message's poll and push share, whatever zone the provider actually writes in.
    """
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()) and len(value.strip()) >= 10:
        value = int(value.strip())
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if abs(value) > 10**11 else value
            moment = datetime.fromtimestamp(seconds, UTC)
            return moment, moment.astimezone(PROVIDER_TZ).strftime(_WALL_CLOCK)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            wall = parsed.strftime(_WALL_CLOCK)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=PROVIDER_TZ)
            return parsed.astimezone(UTC), wall
    except (ValueError, OverflowError, OSError):
        return None
    return None


def inbound_id(sender: str, text: str, wall_clock: str) -> str:
    """Return the id of an inbound SMS: a fingerprint of its sender, text and receive time.

    Assumption: an MO has no id of its own. `sendId`/`sendid` is the number it arrived on (the
    documents' example is "918663322141", and it is optional) and the push's `msgid` is the message
    replied to. Both routes give the sender, the text and the receive time, so a message polled and
    pushed gets the same id.
    """
    sender_key = _digits(sender) if _PHONE.fullmatch(sender) else sender
    return _parse.fingerprint(sender_key, text, wall_clock)


def _report(
    item: Mapping[str, Any], *, pushed: bool, sender: Sender = _international
) -> DeliveryReport | None:
    """Read a `/getReport` entry `{msgId, number, receiveTime, status}` or a push `{msgid, …}`.

    The two keep different status tables (`_REPORT_STATUS`, `_PUSH_DELIVERED`).
    """
    message_id = _parse.first(item, "msgId", "msgid")
    recipient = _parse.first(item, "number", "mobile")
    code = _parse.integer(item.get("status"))
    if not message_id or not recipient or code is None:
        return None
    if pushed:
        status = DeliveryStatus.DELIVERED if code == _PUSH_DELIVERED else DeliveryStatus.FAILED
    else:
        status = _REPORT_STATUS.get(code, DeliveryStatus.FAILED)
    reason = None
    if status is DeliveryStatus.FAILED:
        text = _parse.first(item, "reason")
        # A push's `reason` is "0" when all is well: no reason at all.
        reason = text[:_MAX_REASON] if text and text != "0" else f"status {code}"
    when = _when(item["receiveTime"] if "receiveTime" in item else item.get("timestamp"))
    return DeliveryReport(
        message_id=message_id,
        recipient=sender(recipient),
        status=status,
        occurred_at=when[0] if when else None,
        reason=reason,
        # A push is the platform's final word (no later push is documented), whatever it says.
        final=True if pushed else None,
    )


def _inbound(
    item: Mapping[str, Any], now: datetime, sender: Sender = _international
) -> InboundMessage | None:
    """Read a `/recordMo` record `{number, sendId, receiveTime, content}` or a push `{mobile…}`."""
    origin = _parse.first(item, "number", "mobile")
    content = item.get("content")
    if not origin or not isinstance(content, str) or not content:
        return None
    when = _when(item["receiveTime"] if "receiveTime" in item else item.get("reply_time"))
    # Without a time the id still has to be stable across polls: sender and text alone.
    received, wall = when if when else (now, "")
    return InboundMessage(inbound_id(origin, content, wall), sender(origin), content, received)


def parse_reports(body: Mapping[str, Any], sender: Sender = _international) -> list[DeliveryReport]:
    """Read `/getReport`'s `array`; ids still queued are simply absent (`nofound`)."""
    items = body.get("array")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ProtocolError("Itniotech's /getReport answer has no list")
    return [
        r
        for item in items
        if isinstance(item, dict) and (r := _report(item, pushed=False, sender=sender)) is not None
    ]


def parse_records(
    body: Mapping[str, Any], now: datetime, sender: Sender = _international
) -> tuple[list[InboundMessage], int, int]:
    """Read a `/recordMo` page: its messages, how many records it held, and the page count."""
    data = body.get("data")
    # Assumption: an empty inbox may come as `data: null` or without `records`.
    if data is None:
        return [], 0, 0
    if not isinstance(data, dict):
        raise ProtocolError("Itniotech's /recordMo answer has no data")
    records = data.get("records")
    if records is None:
        records = []
    if not isinstance(records, list):
        raise ProtocolError("Itniotech's /recordMo answer has no records")
    messages = [
        m
        for item in records
        if isinstance(item, dict) and (m := _inbound(item, now, sender)) is not None
    ]
    return messages, len(records), _parse.integer(data.get("pages")) or 0


def parse_push(body: bytes, now: datetime, sender: Sender = _international) -> WebhookPayload:
    """Parse one push: a report, an inbound SMS, or a list of them.

    A report is `{appId, msgid, mobile, status, reason, timestamp, …}`, an inbound SMS `{msgid,
    mobile, reply_time, content, sendid, …}`. The documents' examples are not strict JSON
    (`"mcc":'404'`), so they are read leniently.
    """
    try:
        data = jsonish.loads(body)
    except ValueError:
        raise PayloadError("Not a JSON push") from None
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > 1000:
        raise PayloadError("An empty or oversized push")
    messages: list[InboundMessage] = []
    reports: list[DeliveryReport] = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("A push item is not an object")
        if "content" in item or "reply_time" in item:
            if (message := _inbound(item, now, sender)) is None:
                raise PayloadError("An inbound push without sender or text")
            messages.append(message)
        elif (report := _report(item, pushed=True, sender=sender)) is not None:
            reports.append(report)
        else:
            raise PayloadError("A push that is neither a report nor a message")
    return WebhookPayload(tuple(messages), tuple(reports))


# -- the client --------------------------------------------------------------------------------

# The last `orderId` prefix handed out in this process (see `_order_ids`).
_order_state = {"last": 0}


def _order_ids(numbers_: Sequence[str]) -> dict[str, str]:
    """Return a fresh `orderId` per number: unique per message, digits only.

    The document: "orderId | String | 自定义消息id,orderId 数量和手机号码数量需保持一致" (custom
    message id; as many orderIds as numbers); it is optional. The status table has "-20 Data
    existing". Assumption: the platform may answer -20 to an orderId it has seen, so none is ever
    reused: the prefix is the time in milliseconds, moved on by at least one per batch (so two
    batches in the same millisecond, or after the clock stepped back, still differ), followed by
    the number's 4-digit place in the batch. 17 digits fit the Long one page types it as.
    """
    base = max(int(time.time() * 1000), _order_state["last"] + 1)
    _order_state["last"] = base
    return {f"{base}{i:04d}": n for i, n in enumerate(numbers_)}


class ItniotechGateway(Gateway):
    """Call Itniotech's SMS API."""

    key = "itniotech"
    name = "Itniotech"
    default_url = "https://api.itniotech.com/sms"
    capabilities = Capabilities(
        max_length=1024,
        max_recipients_per_request=1000,
        max_concurrent_requests=2,
        balance=True,
        balance_unit="USD",
        poll_inbound=True,
        poll_reports=True,
        webhook=True,
        sender_id=True,
        # Assumption: the document's numbers are country code and number without `+`
        # ("numbers": "91856321412"), so such digits are read as international.
        country_code_digits=True,
    )

    @property
    def _app_id(self) -> str:
        return str(self._credentials.get("app_id") or "").strip()

    def _sender(self, options: SendOptions) -> str | None:
        """Return the send's sender id, else the entry's default; None leaves it to the provider."""
        own = (options.sender_id or "").strip()
        default = str(self._credentials.get("sender_id") or "").strip()
        return own or default or None

    def _headers(self) -> dict[str, str]:
        key = str(self._credentials.get("api_key") or "").strip()
        secret = str(self._credentials.get("api_secret") or "").strip()
        if not key or not secret or not key.isascii() or not key.isprintable():
            # A header cannot carry it, and the provider issues plain ASCII keys.
            raise AuthError("The Itniotech API key or secret is empty or not plain text")
        timestamp = str(int(time.time()))
        # md5 is the provider's signature scheme, not our choice.
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
        answer = await self._request(
            method, path, params=params, json=json, headers=self._headers()
        )
        return parse_answer(answer)

    async def async_validate(self) -> AccountInfo:
        """Prove the key and secret with `/getBalance`; the app id names the account.

        Assumption: `/getBalance` needs no app id, so a wrong app id shows at the first send (-32).
        """
        balance = await self.async_balance()
        return AccountInfo(account_id=self._app_id, name=self._app_id, balance=balance)

    async def async_balance(self) -> Balance:
        """Return `/getBalance`'s `balance`."""
        return parse_balance(await self._call("GET", "/getBalance"))

    def format_number(self, number: str) -> str:
        """Return country code and number, no `+` (`91856321412`)."""
        return numbers.digits_with_country_code(number, self.default_region)

    def check_options(self, options: SendOptions) -> None:
        """Also refuse a sender id (the send's or the entry's) of more than 32 characters."""
        super().check_options(options)
        sender = self._sender(options)
        if sender is not None and len(sender) > MAX_SENDER_ID:
            raise InvalidOptionError(
                f"The sender id has {len(sender)} characters; Itniotech accepts {MAX_SENDER_ID}",
                {"option": "sender_id", "provider": self.name},
            )

    async def _async_send_batch(
        self, numbers_: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        # Our own order id per number maps `array` back even if the provider rewrites a number.
        # Assumption: `orderId` is echoed in `array` (the document's response lists it).
        order_ids = _order_ids(numbers_)
        body: dict[str, Any] = {
            "appId": self._app_id,
            "numbers": ",".join(numbers_),
            "content": text,
            "orderId": ",".join(order_ids),
        }
        if (sender := self._sender(options)) is not None:
            body["senderId"] = sender
        answer = await self._call("POST", "/sendSms", json=body)
        return parse_send(answer, numbers_, order_ids)

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Fetch `/getReport` for the ids still pending, 200 a call."""
        ids = list(dict.fromkeys(i for i in message_ids if i))
        reports: list[DeliveryReport] = []
        for start in range(0, len(ids), REPORT_IDS_PER_CALL):
            chunk = ids[start : start + REPORT_IDS_PER_CALL]
            body = await self._call(
                "GET", "/getReport", params={"appId": self._app_id, "msgIds": ",".join(chunk)}
            )
            reports.extend(parse_reports(body, self.sender))
        return reports

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Fetch `/recordMo` pages from `since` (ten minutes back on a first poll) to now."""
        now = datetime.now(UTC)
        # The end is rounded up: a message of this very second is not left out.
        end = (now + timedelta(seconds=1)).replace(microsecond=0)
        start = now - FIRST_POLL_WINDOW if since is None else since
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        start = min(max(start, end - MO_MAX_WINDOW), end)
        params = {
            "strTime": start.astimezone(PROVIDER_TZ).replace(microsecond=0).isoformat(),
            "endTime": end.astimezone(PROVIDER_TZ).isoformat(),
        }
        messages: list[InboundMessage] = []
        for page in range(1, MO_MAX_PAGES + 1):
            body = await self._call(
                "POST",
                "/recordMo",
                json={
                    "appId": self._app_id,
                    "current": page,
                    "size": MO_PAGE_SIZE,
                    "params": params,
                },
            )
            found, count, pages = parse_records(body, now, self.sender)
            messages.extend(found)
            # The page count decides where given; else a short page is the last.
            if count == 0 or (page >= pages if pages else count < MO_PAGE_SIZE):
                break
        return messages

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookPayload:
        """Parse a report or inbound push (lenient JSON, unsigned)."""
        moment = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
        return parse_push(body, moment, self.sender)
