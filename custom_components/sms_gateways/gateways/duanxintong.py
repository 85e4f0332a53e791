"""企业短信通 (112088.net): GET requests with GBK query strings, `|`-separated text answers.

The service is a classic ASP application: every endpoint takes `us_name`/`us_pwd` in the query
string, and answers either a negative code or a `|`-separated list. It has no HTTPS and no
webhooks; inbound messages and delivery reports are polled, and the server forgets what it has
handed out once (so every answer we fetch must reach the caller, never be dropped half way).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
import logging
import re
from typing import ClassVar, NoReturn
from urllib.parse import quote

from . import numbers
from .base import (
    AccountInfo,
    Balance,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Gateway,
    InboundMessage,
    RecipientResult,
    SendOptions,
)
from .errors import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    ProtocolError,
    RefusedError,
    TemporaryError,
    ValidationError,
)
from .text import TextInfo

_LOGGER = logging.getLogger(__name__)

PATH_SEND = "/sendsms_txt.asp"
PATH_REPORTS = "/get_report_txt.asp"
PATH_INBOUND = "/get_receive_message_txt.asp"
PATH_BALANCE = "/Get_Account_Balance.asp"

# Assumption: `send_time` is China Standard Time (UTC+8, no daylight saving since 1991), the
# provider's local time; a fixed offset avoids depending on the system's time zone database.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")

# The send endpoint's documented refusals: code -> (error class, reason).
_SEND_ERRORS: dict[str, tuple[type[GatewayError], str]] = {
    # -1, -2 and -4 mean the request was malformed: our fault, not the user's.
    "-1": (ProtocolError, "No recipient number in the request"),
    "-2": (ProtocolError, "No message text in the request"),
    "-3": (RefusedError, "The message contains a banned word"),
    "-4": (ProtocolError, "More than 100 numbers in one request"),
    "-7": (AuthError, "Wrong user name or password"),
    "-8": (RefusedError, "The message is longer than 335 characters"),
    "-9": (RefusedError, "Not enough balance for this send"),
    # Assumption: -10 (account locked) is refused rather than an authentication failure: the
    # password is right, and new credentials would not unlock the account.
    "-10": (RefusedError, "The account is locked"),
    "-99": (TemporaryError, "The service is busy"),
}

# The report, inbound and balance endpoints' codes (they share them).
_QUERY_ERRORS: dict[str, tuple[type[GatewayError], str]] = {
    "-1": (AuthError, "The account does not exist"),
    "-3": (TemporaryError, "The service is busy"),
    "-7": (AuthError, "Wrong user name or password"),
}

_REPORT_STATUS = {
    "-1": DeliveryStatus.PENDING,
    "10": DeliveryStatus.DELIVERED,
    "20": DeliveryStatus.FAILED,
}

# "id;phone;rest" - the receive example separates id and phone with a comma instead, so accept
# both there; the rest (a status, or a text that may itself hold ";" and ",") is kept whole.
_ITEM = re.compile(r"\s*([^;,\s]+)\s*[;,]\s*([^;,]+?)\s*;(.*)", re.DOTALL)
# Assumption: the service reaches mobiles (11 digits from 1) and landline/PHS numbers with their
# area code (0 first, 10 to 12 digits), as the document lists; it counts other lengths as failed
# without saying which, so they are refused here before anything is sent.
_NUMBER = re.compile(r"1\d{10}|0\d{9,11}")
# Bounded: Python refuses to convert integers of thousands of digits.
_CODE = re.compile(r"-?\d{1,9}")
_COUNT = re.compile(r"\d{1,9}")
_BALANCE = re.compile(r"\d{1,15}(?:\.\d{1,6})?")


class UnencodableTextError(ValidationError):
    """The text has characters that GBK, the provider's only encoding, cannot carry (emoji)."""

    key = "unencodable_text"


def _decode(body: bytes) -> str:
    """The answer's text: GBK, or its superset GB18030 for anything GBK cannot decode."""
    for encoding in ("gbk", "gb18030"):
        try:
            return body.decode(encoding).strip()
        except UnicodeDecodeError:
            continue
    raise ProtocolError("112088.net answered with text that is not GBK")


def _fail(
    code: str, table: dict[str, tuple[type[GatewayError], str]], detail: str = ""
) -> NoReturn:
    """Raise the error documented for `code`, or `ProtocolError` for an undocumented one."""
    if not _CODE.fullmatch(code):
        # Never quote an unreadable answer: an error page may echo the URL and its password.
        raise ProtocolError("112088.net answered with something unreadable")
    if code not in table:
        raise ProtocolError(f"112088.net answered with unknown code {code}", code=code)
    cls, reason = table[code]
    if detail:
        reason = f"{reason}: {detail}"
    raise cls(f"112088.net: {reason} ({code})", code=code, reason=reason)


def _check_query_code(text: str) -> None:
    """Raise for the shared error codes of the report, inbound and balance endpoints."""
    if text.startswith("-"):
        _fail(text.split("|", 1)[0].strip(), _QUERY_ERRORS)


def parse_send_answer(text: str, batch: Sequence[str]) -> list[RecipientResult]:
    """One result per number of `batch` from a send answer (`0|a|b|d` or a negative code).

    `a` numbers were accepted, `b` failed, `d` lists one SMSID per accepted number. The answer
    does not say which numbers failed, so ids are matched to numbers only when they cannot be
    mismatched.
    """
    head, _, rest = text.partition("|")
    head = head.strip()
    if head != "0":
        # "-3|word" names the banned word after the bar.
        _fail(head, _SEND_ERRORS, rest.strip() if head == "-3" else "")
    fields = rest.split("|")
    accepted = int(fields[0]) if _COUNT.fullmatch(fields[0].strip()) else None
    ids = [i.strip() for i in fields[2].split(",") if i.strip()] if len(fields) > 2 else []
    if accepted == 0 and not ids:
        # Nothing went out, so saying so is safe: the user may correct the numbers and retry.
        reason = "112088.net refused the number (usually a wrong length)"
        return [RecipientResult(n, accepted=False, reason=reason) for n in batch]
    if len(ids) == len(batch) and accepted in (None, len(batch)):
        # Assumption: the SMSIDs come in the order of the numbers sent.
        return [
            RecipientResult(n, accepted=True, message_id=i) for n, i in zip(batch, ids, strict=True)
        ]
    if len(ids) == 1 and accepted == len(batch):
        # Assumption: one SMSID for a whole batch is a batch number (the report example shows
        # one SMSID for two numbers); reports name the number beside it, so it is still exact.
        return [RecipientResult(n, accepted=True, message_id=ids[0]) for n in batch]
    # Assumption: when only some numbers were accepted the API does not say which, so every
    # number is reported accepted without an id: calling one rejected could make a user resend a
    # message that did go out.
    if accepted == len(batch):
        reason = f"112088.net accepted every number but returned {len(ids)} ids for them"
    else:
        shown = "some" if accepted is None else str(accepted)
        reason = f"112088.net accepted {shown} of {len(batch)} numbers; it does not say which"
    return [RecipientResult(n, accepted=True, reason=reason) for n in batch]


def _items(text: str, what: str) -> list[tuple[str, str, str]]:
    """The `id;phone;rest` items of a report or inbound answer (`N|item|item...`, or `0`)."""
    _check_query_code(text)
    count, *items = text.split("|")
    if not _COUNT.fullmatch(count.strip()):
        raise ProtocolError(f"112088.net answered the {what} request with something unreadable")
    parsed: list[tuple[str, str, str]] = []
    for item in items:
        if not item.strip():
            continue
        if (match := _ITEM.fullmatch(item)) is None:
            # The server has already forgotten it: log it whole so the user can still read it,
            # and keep the rest of the answer rather than failing (and losing) all of it.
            _LOGGER.warning("Skipping an unreadable %s from 112088.net: %r", what, item)
            continue
        parsed.append((match[1], match[2], match[3]))
    if len(parsed) != int(count):
        _LOGGER.debug("112088.net announced %s %s items, sent %s", count, what, len(parsed))
    return parsed


def parse_reports(text: str) -> list[DeliveryReport]:
    """Delivery reports from `N|smsid;phone;status|...` (status -1 waiting, 10 sent, 20 failed)."""
    reports: list[DeliveryReport] = []
    for smsid, phone, status in _items(text, "report"):
        if (state := _REPORT_STATUS.get(status.strip())) is None:
            _LOGGER.warning("Unknown delivery status %r from 112088.net", status)
            continue
        reports.append(DeliveryReport(message_id=smsid, recipient=phone, status=state))
    return reports


def parse_inbound(text: str, now: datetime) -> list[InboundMessage]:
    """Received messages from `N|id;phone;text|...` (or the example's `id,phone;text`).

    Assumption: `|` separates messages, so a `|` inside a message text cannot be told apart from
    the next message and splits it (the part after it is logged as unreadable).
    """
    return [
        # Assumption: the answer carries no time, so a message was received when it is fetched.
        InboundMessage(message_id=msgid, sender=phone, text=body, received_at=now)
        for msgid, phone, body in _items(text, "message")
    ]


def parse_balance(text: str) -> Balance:
    """Messages left, from a number of at least 0 (or `-1`/`-7` for rejected credentials)."""
    _check_query_code(text)
    if not _BALANCE.fullmatch(text):
        raise ProtocolError("112088.net answered the balance request with something unreadable")
    return Balance(float(text), "messages")


class DuanxintongGateway(Gateway):
    """企业短信通 (112088.net) HTTP API."""

    key = "duanxintong"
    name = "企业短信通 (112088.net)"
    model = "HTTP API"
    # Only plain HTTP on port 8088 is known to exist.
    default_url = "http://www.112088.net:8088"
    dashboard_url = "http://www.112088.net"
    capabilities = Capabilities(
        max_length=335,
        max_recipients_per_request=100,
        balance=True,
        balance_unit="messages",
        poll_inbound=True,
        poll_reports=True,
        schedule=True,
        default_region="CN",
    )
    fields: ClassVar[tuple[str, ...]] = ("username", "password")
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    async def async_validate(self) -> AccountInfo:
        """The balance call checks the user name and password (there is no account endpoint)."""
        balance = await self.async_balance()
        username = str(self._credentials.get("username", ""))
        return AccountInfo(account_id=username, name=username, balance=balance)

    def format_number(self, number: str) -> str:
        """Mainland China only: 11-digit mobiles, landlines with their area code and leading 0."""
        national = numbers.national_in(number, "CN", self.default_region)
        if not _NUMBER.fullmatch(national):
            raise InvalidNumberError(
                f"{number!r} is not a mobile or landline number in China", {"number": str(number)}
            )
        return national

    def check_text(self, text: str, options: SendOptions | None = None) -> TextInfo:
        """Also refuse characters GBK cannot encode: the provider would receive garbage."""
        info = super().check_text(text, options)
        bad = dict.fromkeys(c for c in text if not _gbk_encodable(c))
        if bad:
            raise UnencodableTextError(
                f"{self.name} cannot send these characters: {' '.join(bad)}",
                {"characters": " ".join(bad), "provider": self.name},
            )
        return info

    async def _async_send_batch(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        """Send one request of at most 100 numbers."""
        params = {"send_phone": ",".join(numbers), "send_content": text}
        if options.send_at is not None:
            params["send_time"] = options.send_at.astimezone(CHINA_STANDARD_TIME).strftime(
                "%Y%m%d%H%M%S"
            )
        return parse_send_answer(await self._get(PATH_SEND, params), numbers)

    async def async_balance(self) -> Balance:
        """Messages left on the account."""
        return parse_balance(await self._get(PATH_BALANCE))

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Up to 100 new reports of the account; `message_ids` is not needed (nor usable) here.

        One request per poll: the server forgets what it hands out, so an error in a second
        request must not throw away the first one's reports. The next poll fetches the rest.
        """
        return parse_reports(await self._get(PATH_REPORTS))

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Up to 50 messages received since the last poll (`since` is not needed: see above)."""
        return parse_inbound(await self._get(PATH_INBOUND), datetime.now(UTC))

    async def _get(self, path: str, params: dict[str, str] | None = None) -> str:
        """GET `path` with the credentials and `params` as a GBK query; the answer's text."""
        query = {
            "us_name": str(self._credentials.get("username", "")),
            "us_pwd": str(self._credentials.get("password", "")),
            **(params or {}),
        }
        try:
            raw_query = "&".join(
                f"{name}={quote(value.encode('gbk'), safe='')}" for name, value in query.items()
            )
        except UnicodeEncodeError:
            # Texts were checked before; only a credential can get here, and it cannot be right.
            raise AuthError(
                f"{self.name} cannot accept the user name or password (not GBK)",
                reason="The user name or password has characters the service cannot take",
            ) from None
        answer = await self._request("GET", path, raw_query=raw_query)
        if answer.status != 200:
            raise ProtocolError(
                f"{self.name} answered {path} with HTTP {answer.status}", code=str(answer.status)
            )
        return _decode(answer.body)


def _gbk_encodable(char: str) -> bool:
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
