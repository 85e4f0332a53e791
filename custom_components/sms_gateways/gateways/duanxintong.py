"""Talk to 企业短信通 (112088.net).

GET requests with GBK query strings, `|`-separated text answers.

The service is a classic ASP application: every endpoint takes `us_name`/`us_pwd` in the query
string, and answers either a negative code or a `|`-separated list. It has no HTTPS and no
webhooks; inbound messages and delivery reports are polled, and the server forgets what it has
handed out once (so every answer we fetch must reach the caller, never be dropped half way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
import logging
import re
from typing import NoReturn
from urllib.parse import quote

from yarl import URL

from . import _parse, numbers
from .client import Gateway
from .exceptions import (
    AuthError,
    GatewayError,
    InvalidNumberError,
    ProtocolError,
    RefusedError,
    TemporaryError,
    ValidationError,
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
)
from .text import Encoding, TextInfo, analyse
from .transport import header

_LOGGER = logging.getLogger(__name__)

# How messages name the provider (the class's `name` is longer).
NAME = "112088.net"
PATH_SEND = "/sendsms_txt.asp"
PATH_REPORTS = "/get_report_txt.asp"
PATH_INBOUND = "/get_receive_message_txt.asp"
PATH_BALANCE = "/Get_Account_Balance.asp"

# 特别说明: "本平台域名www.112088.net为双向空间域名,如果你是电信线路,则会自动跳到电信IP:
# 116.204.97.93,如果你网通线路则会自动跳到网通线跳:211.162.126.121" (the domain is a dual-line
# domain: on a China Telecom line it "automatically jumps" to 116.204.97.93, on a China Netcom line
# to 211.162.126.121). Only these hosts may receive the credentials a redirect would carry.
DOCUMENTED_HOSTS = frozenset({"www.112088.net", "116.204.97.93", "211.162.126.121"})

# "-4 每次请求条数大于最大允许条数100条" (more than the 100 条 allowed in one request), where 条
# is the billed message, as in "-9 帐户当前余额不足发送本次请求的条数" (not enough balance for the
# 条 of this request) and "大于70字则按长短信标准计算条数" (above 70 characters, 条 are counted as
# long messages): so numbers x parts, not only numbers, may be what the limit counts.
MAX_BILLED_PER_REQUEST = 100

# What a classic ASP page on a Chinese Windows server (code page 936) writes when it declares
# nothing; GB18030 is GBK's superset, tried for anything GBK cannot decode.
_FALLBACK_CHARSETS = ("gbk", "gb18030")
# Declared names whose text is decoded as GBK: servers declaring GB2312 send GBK (code page 936).
_GBK_ALIASES = frozenset({"gb2312", "gbk", "cp936", "ms936", "windows-936", "x-gbk"})
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)

# Assumption: `send_time` is China Standard Time (UTC+8, no daylight saving since 1991), the
# provider's local time; a fixed offset avoids depending on the system's time zone database.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")

# The send endpoint's documented refusals: code -> (error class, reason).
_SEND_ERRORS: dict[str, tuple[type[GatewayError], str]] = {
    # -1, -2 and -4 mean the request was malformed: our fault, not the user's.
    "-1": (ProtocolError, "No recipient number in the request"),
    "-2": (ProtocolError, "No message text in the request"),
    "-3": (RefusedError, "The message contains a banned word"),
    "-4": (ProtocolError, "More than 100 messages (numbers x parts) in one request"),
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
    # "-1-- 未收到状态报告" (no status report received), and "服务端将不再分发此SMSID的状态报告
    # 信息编号的结果给客户端" (the server will not hand this SMSID's report out again): the
    # message was submitted and its outcome will never be known, so it is sent, and final.
    "-1": DeliveryStatus.SENT,
    "10": DeliveryStatus.DELIVERED,
    "20": DeliveryStatus.FAILED,
}
_NO_REPORT = "No status report was received: the message was submitted, its outcome is unknown"

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
    """Signal a text with characters that GBK cannot carry (emoji).

    GBK is the provider's only encoding.
    """

    key = "unencodable_text"


def _charsets(content_type: str | None) -> list[str]:
    """Return the charsets to try, in order: the declared one, then GBK and GB18030."""
    match = _CHARSET.search(content_type or "")
    declared = match[1].strip().lower() if match else None
    if declared is None or declared in _GBK_ALIASES:
        return list(_FALLBACK_CHARSETS)
    return list(dict.fromkeys((declared, *_FALLBACK_CHARSETS)))


def _decode(body: bytes, content_type: str | None = None) -> str:
    """Decode the answer in the charset its `Content-Type` declares, else GBK (or GB18030).

    Assumption: the document never says which charset the answers are in; the requests are GBK
    (as every public client of the service sends them), so GBK is used when nothing is declared,
    and when the declared name is unknown or does not decode the body (a wrong declaration).
    """
    for charset in _charsets(content_type):
        try:
            return body.decode(charset).strip()
        except (LookupError, UnicodeDecodeError):
            # LookupError: an unknown name, or a codec that is not a text encoding (base64).
            continue
    raise ProtocolError("112088.net answered with text that is neither its charset nor GBK")


def _fail(
    code: str, table: dict[str, tuple[type[GatewayError], str]], detail: str = ""
) -> NoReturn:
    """Raise the error documented for `code`, or `ProtocolError` for an undocumented one."""
    if not _CODE.fullmatch(code):
        # Never quote an unreadable answer: an error page may echo the URL and its password.
        raise ProtocolError("112088.net answered with something unreadable")
    _parse.raise_coded(NAME, table, code, detail=detail)


def _check_query_code(text: str) -> None:
    """Raise for the shared error codes of the report, inbound and balance endpoints."""
    if text.startswith("-"):
        _fail(text.split("|", 1)[0].strip(), _QUERY_ERRORS)


def parse_send_answer(text: str, batch: Sequence[str]) -> list[RecipientResult]:
    """Return one result per number of `batch` from a send answer (`0|a|b|d` or a code).

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
    """Return the `id;phone;rest` items of a report or inbound answer (`N|item|item...`, `0`)."""
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


def _as_given(phone: str) -> str:
    return phone


def parse_reports(text: str, number: Callable[[str], str] = _as_given) -> list[DeliveryReport]:
    """Read delivery reports from `N|smsid;phone;status|...` (-1 no report, 10 sent, 20 failed).

    `number` turns the phone as the server wrote it into the form to report (E.164).
    """
    reports: list[DeliveryReport] = []
    for smsid, phone, status in _items(text, "report"):
        code = status.strip()
        if (state := _REPORT_STATUS.get(code)) is None:
            _LOGGER.warning("Unknown delivery status %r from 112088.net", status)
            continue
        no_report = code == "-1"
        reports.append(
            DeliveryReport(
                message_id=smsid,
                recipient=number(phone),
                status=state,
                reason=_NO_REPORT if no_report else None,
                # Every report is handed out once; -1 is the one whose status is not final.
                final=True if no_report else None,
            )
        )
    return reports


def parse_inbound(
    text: str, now: datetime, number: Callable[[str], str] = _as_given
) -> list[InboundMessage]:
    """Read received messages from `N|id;phone;text|...` (or the example's `id,phone;text`).

    `number` turns the sender as the server wrote it into the form to report (E.164).

    Assumption: `|` separates messages, so a `|` inside a message text cannot be told apart from
    the next message and splits it (the part after it is logged as unreadable).
    """
    return [
        # Assumption: the answer carries no time, so a message was received when it is fetched.
        InboundMessage(message_id=msgid, sender=number(phone), text=body, received_at=now)
        for msgid, phone, body in _items(text, "message")
    ]


def parse_balance(text: str) -> Balance:
    """Read the messages left: a number of at least 0 (or `-1`/`-7`, rejected credentials)."""
    _check_query_code(text)
    if not _BALANCE.fullmatch(text):
        raise ProtocolError("112088.net answered the balance request with something unreadable")
    return Balance(float(text), "messages")


class DuanxintongGateway(Gateway):
    """Call the 企业短信通 (112088.net) HTTP API."""

    key = "duanxintong"
    name = "企业短信通 (112088.net)"
    # Only plain HTTP on port 8088 is known to exist.
    default_url = "http://www.112088.net:8088"
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

    async def async_validate(self) -> AccountInfo:
        """Check the user name and password with the balance call (there is no account endpoint)."""
        balance = await self.async_balance()
        username = str(self._credentials.get("username", ""))
        return AccountInfo(account_id=username, name=username, balance=balance)

    def format_number(self, number: str) -> str:
        """Return a number of mainland China: 11-digit mobile, or landline with area code and 0."""
        national = numbers.national_in(number, "CN", self.default_region)
        if not _NUMBER.fullmatch(national):
            raise InvalidNumberError(
                f"{number!r} is not a mobile or landline number in China", {"number": str(number)}
            )
        return national

    def billed(self, text: str, options: SendOptions) -> TextInfo:
        """Count parts as 112088 bills them: 70 characters, 67 a part beyond, any alphabet.

        "70字为一条标准的短信,大于70字则按长短信标准计算条数" (70 characters are one standard
        message; above 70, messages are counted by the long-message standard). Assumption: the
        long-message standard is the concatenated UCS-2 part of 67 characters, which the document
        does not spell out; its limit of 335 characters is exactly 5 such parts. A Latin text is
        counted the same way (70, not GSM-7's 160): the document names no other alphabet.
        """
        return analyse(text, encoding=Encoding.UCS2)

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
        """Send at most 100 numbers; on -4, once more in requests of at most 100 billed parts."""
        try:
            return await self._async_send_request(numbers, text, options)
        except ProtocolError as err:
            chunks = self._billed_chunks(numbers, text, options)
            if err.code != "-4" or len(chunks) < 2:
                raise
            # -4 refuses the whole request (nothing was sent), so sending again cannot double a
            # message; the limit counts parts, so these requests fit and are not split again.
            _LOGGER.debug("112088.net counts parts per request: sending in %s", len(chunks))
            return await self._async_send_chunks(chunks, text, options)

    def _billed_chunks(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[Sequence[str]]:
        """Split `numbers` in runs whose billed parts (numbers x parts) stay within 100."""
        size = max(1, MAX_BILLED_PER_REQUEST // self.billed(text, options).segments)
        return [numbers[i : i + size] for i in range(0, len(numbers), size)]

    async def _async_send_chunks(
        self, chunks: Sequence[Sequence[str]], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        """Send each chunk in turn; a failed one rejects its own numbers only.

        If every chunk failed, the first error is raised, as for one request.
        """
        results: list[RecipientResult] = []
        errors: list[GatewayError] = []
        for chunk in chunks:
            try:
                results += await self._async_send_request(chunk, text, options)
            except GatewayError as err:
                errors.append(err)
                reason = err.reason or str(err)
                results += [
                    RecipientResult(n, accepted=False, reason=reason, code=err.code) for n in chunk
                ]
        if len(errors) == len(chunks):
            raise errors[0]
        return results

    async def _async_send_request(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        """Make one send request for `numbers`."""
        params = {"send_phone": ",".join(numbers), "send_content": text}
        if options.send_at is not None:
            params["send_time"] = options.send_at.astimezone(CHINA_STANDARD_TIME).strftime(
                "%Y%m%d%H%M%S"
            )
        return parse_send_answer(await self._get(PATH_SEND, params), numbers)

    async def async_balance(self) -> Balance:
        """Return the messages left on the account."""
        return parse_balance(await self._get(PATH_BALANCE))

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Fetch up to 100 new reports of the account; `message_ids` is not needed (nor usable).

        One request per poll: the server forgets what it hands out, so an error in a second
        request must not throw away the first one's reports. The next poll fetches the rest.
        """
        return parse_reports(await self._get(PATH_REPORTS), self.sender)

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Fetch up to 50 messages received since the last poll (`since` is not needed either)."""
        return parse_inbound(await self._get(PATH_INBOUND), datetime.now(UTC), self.sender)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> str:
        """Get `path` with the credentials and `params` as a GBK query; return the answer's text."""
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
        if 300 <= answer.status < 400:
            # A redirect `_may_follow` refused. Name the host only, never the URL: it may echo
            # the query and its password.
            where = _redirect_host(answer.headers)
            raise ProtocolError(
                f"{self.name} redirected {path} to {where}: not followed (only its own host and "
                "its documented hosts www.112088.net, 116.204.97.93 and 211.162.126.121 are "
                "trusted with the password)",
                code=str(answer.status),
                reason=f"Redirected to {where}, which is not trusted: not followed",
            )
        if answer.status != 200:
            raise ProtocolError(
                f"{self.name} answered {path} with HTTP {answer.status}", code=str(answer.status)
            )
        return _decode(answer.body, header(answer.headers, "content-type"))

    def _may_follow(self, origin: URL, target: URL) -> bool:
        """Follow a redirect on the same host, or between the document's hosts, over http(s).

        Assumption: the document's "自动跳转" (automatic jump) to a carrier's IP is most likely
        DNS (a "双向空间域名", dual-line domain, resolves by the caller's carrier), but if it is
        an HTTP redirect it is followed to the two IPs it names, and only from its own hosts.
        Every redirect repeats the query, password included, so no other host is followed to,
        nor is https given up for plain http.
        """
        if target.scheme not in ("http", "https") or not target.host or not origin.host:
            return False
        if origin.scheme == "https" and target.scheme != "https":
            return False
        origin_host, target_host = origin.host.lower(), target.host.lower()
        if origin_host == target_host:
            return True
        return origin_host in DOCUMENTED_HOSTS and target_host in DOCUMENTED_HOSTS


def _redirect_host(headers: Mapping[str, str]) -> str:
    """Return the host a redirect points to, for an error message."""
    try:
        host = URL(header(headers, "location") or "").host
    except ValueError:
        host = None
    return host or "another location"


def _gbk_encodable(char: str) -> bool:
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
