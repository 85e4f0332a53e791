"""A fake 企业短信通 (112088.net) HTTP API: GET, GBK query strings, GBK text answers.

It behaves as the document says the real server does: numbers are checked for length (bad ones are
counted as failed, not refused), the balance counts messages (70 characters one, 67 a part beyond),
and queued inbound messages and delivery reports are handed out once and then forgotten. It can
also play the "dual-line domain" that jumps to a carrier's IP (`redirect_to`), and declare another
charset than the GBK it answers in by default.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from yarl import URL

from custom_components.sms_gateways.gateways.text import Encoding, analyse
from tests.fakes.base import FakeProvider, Handler, SentMessage

# "最大允许每次提交号码100个号码" (at most 100 numbers a submission).
MAX_NUMBERS = 100
# "-4 每次请求条数大于最大允许条数100条" (more than the 100 条 allowed in one request): 条 is the
# billed message throughout the document ("-9 帐户当前余额不足发送本次请求的条数", not enough
# balance for the 条 of this request; "大于70字则按长短信标准计算条数", above 70 characters 条 are
# counted as long messages), so by default the limit counts numbers x parts.
MAX_BILLED = 100
MAX_LENGTH = 335
MAX_REPORTS = 100
MAX_INBOUND = 50
# Mobiles: 11 digits starting with 1; landlines: 0, area code and number (10 to 12 digits).
_VALID_NUMBER = re.compile(r"1\d{10}|0\d{9,11}")


@dataclass
class QueuedInbound:
    """A received message waiting to be fetched."""

    message_id: str
    sender: str
    text: str
    comma_form: bool = False

    def render(self) -> str:
        """The item as the server writes it (the example's comma form or the text's semicolons)."""
        separator = "," if self.comma_form else ";"
        return f"{self.message_id}{separator}{self.sender};{self.text}"


@dataclass
class QueuedReport:
    """A delivery report waiting to be fetched (status -1 waiting, 10 delivered, 20 failed)."""

    message_id: str
    recipient: str
    status: int = 10

    def render(self) -> str:
        """The item as the server writes it."""
        return f"{self.message_id};{self.recipient};{self.status}"


def billed_parts(content: str) -> int:
    """Messages billed a number: "70字为一条标准的短信,大于70字则按长短信标准计算条数".

    (70 characters are one standard message; above 70 they are counted as long messages, 67
    characters a part, whatever the alphabet.)
    """
    return analyse(content, encoding=Encoding.UCS2).segments


class DuanxintongFake(FakeProvider):
    """The four documented endpoints under the API root.

    Defaults (the simulator uses them): user name `demo`, password `demo-password`, 1000 messages
    of balance, banned words 发票 and 代开, and a delivered report queued for every number sent.
    """

    key = "duanxintong"
    name = "企业短信通 (112088.net)"

    def __init__(
        self,
        *,
        username: str = "demo",
        password: str = "demo-password",
        balance: int = 1000,
        banned_words: tuple[str, ...] = ("发票", "代开"),
        auto_report: bool = True,
        limit_counts_parts: bool = True,
    ) -> None:
        """Start with an empty outbox and queues.

        `limit_counts_parts=False` reads -4 as numbers only (100 numbers of any length pass).
        """
        super().__init__()
        self.username = username
        self.password = password
        self.balance = balance
        self.banned_words = banned_words
        self.auto_report = auto_report
        self.limit_counts_parts = limit_counts_parts
        self.locked = False
        # The answers' encoding and the charset their Content-Type declares (None: none, as a
        # classic ASP page that sets no Response.Charset; the document names neither).
        self.encoding = "gbk"
        self.declared_charset: str | None = "gbk"
        # "如果你是电信线路,则会自动跳到电信IP:116.204.97.93" (on a China Telecom line the domain
        # jumps to 116.204.97.93): a root such as "http://116.204.97.93:8088" makes every request
        # to another host a 302 there. The host each request was addressed to is recorded.
        self.redirect_to: str | None = None
        self.hosts: list[str] = []
        self.sent: list[SentMessage] = []
        self.inbound: deque[QueuedInbound] = deque()
        self.reports: deque[QueuedReport] = deque()
        # What the fake decoded from each request's query string, in order (the base class's
        # record decodes as UTF-8, which is wrong for this provider).
        self.queries: list[dict[str, str]] = []
        self.raw_queries: list[str] = []
        self._next_smsid = 6408600
        self._next_inbound = 133

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields that this fake accepts."""
        return {"username": self.username, "password": self.password}

    def routes(self) -> list[web.RouteDef]:
        """The documented paths; everything is GET."""
        return [
            web.get("/sendsms_txt.asp", self._send),
            web.get("/get_report_txt.asp", self._get_reports),
            web.get("/get_receive_message_txt.asp", self._get_inbound),
            web.get("/Get_Account_Balance.asp", self._get_balance),
        ]

    def app(self) -> web.Application:
        """The base app, with the dual-line domain's jump after the request is recorded."""
        app = super().app()
        app.middlewares.append(self._dual_line)
        return app

    def malformed_body(self) -> web.Response:
        """What a broken ASP page serves: an HTML error, not a code."""
        return self._text("<html><body>Microsoft VBScript 运行时错误 '800a000d'</body></html>")

    def auth_failure(self, request: web.Request) -> web.Response:
        """Every endpoint answers -7 to a wrong password."""
        return self._text("-7")

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """The code as the server writes it (`-3|禁发词` included)."""
        return self._text(code)

    def queue_inbound(self, sender: str, text: str, comma_form: bool = False) -> str:
        """A message from `sender`; returns the provider's id (短信编号)."""
        message_id = str(self._next_inbound)
        self._next_inbound += 1
        self.inbound.append(QueuedInbound(message_id, sender, text, comma_form))
        return message_id

    def queue_report(self, message_id: str, recipient: str, status: int = 10) -> None:
        """A delivery report for `message_id` sent to `recipient`."""
        self.reports.append(QueuedReport(message_id, recipient, status))

    def snapshot(self) -> dict[str, Any]:
        """Balance, messages sent and what waits to be fetched."""
        return {
            "username": self.username,
            "balance": self.balance,
            "locked": self.locked,
            "banned_words": list(self.banned_words),
            "sent": [asdict(m) for m in self.sent],
            "inbound_queue": [asdict(m) for m in self.inbound],
            "report_queue": [asdict(r) for r in self.reports],
        }

    # -- endpoints ----------------------------------------------------------------------------

    def _text(self, answer: str) -> web.Response:
        """`answer` in the fake's encoding, with the charset it declares (if any)."""
        body = answer.encode(self.encoding)
        if self.declared_charset is None:
            return web.Response(body=body, content_type="text/plain")
        return web.Response(body=body, content_type="text/plain", charset=self.declared_charset)

    @web.middleware
    async def _dual_line(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the host addressed; jump to `redirect_to` from any other host."""
        addressed = request.url
        self.hosts.append(addressed.host or "")
        target = URL(self.redirect_to) if self.redirect_to is not None else None
        if target is None or (target.host, target.port) == (addressed.host, addressed.port):
            return await handler(request)
        # The same path and query (raw: GBK percent-escapes) on the other host. Through a proxy
        # the request line is the absolute URL.
        raw = URL(request.raw_path, encoded=True)
        path_qs = raw.raw_path_qs if raw.absolute else request.raw_path
        raise web.HTTPFound(self.redirect_to.rstrip("/") + path_qs)

    def _query(self, request: web.Request) -> dict[str, str]:
        """The query string decoded as GBK, as the server's code page 936 does."""
        raw = request.raw_path.partition("?")[2]
        self.raw_queries.append(raw)
        query = dict(parse_qsl(raw, keep_blank_values=True, encoding="gbk", errors="replace"))
        self.queries.append(query)
        return query

    def _login(self, query: dict[str, str]) -> str | None:
        """None if the credentials are right, else the documented code (-1 no user, -7)."""
        if query.get("us_name") != self.username:
            return "-1"
        if query.get("us_pwd") != self.password:
            return "-7"
        return None

    async def _send(self, request: web.Request) -> web.Response:
        query = self._query(request)
        # The send endpoint has no "no such user" code: any login failure is -7.
        if self._login(query) is not None:
            return self._text("-7")
        if self.locked:
            return self._text("-10")
        phones = [p for p in query.get("send_phone", "").split(",") if p.strip()]
        content = query.get("send_content", "")
        if not phones:
            return self._text("-1")
        if not content:
            return self._text("-2")
        parts = billed_parts(content)
        if len(phones) > MAX_NUMBERS or (
            self.limit_counts_parts and len(phones) * parts > MAX_BILLED
        ):
            return self._text("-4")
        if len(content) > MAX_LENGTH:
            return self._text("-8")
        if banned := next((w for w in self.banned_words if w in content), None):
            return self._text(f"-3|{banned}")
        valid = [p for p in phones if _VALID_NUMBER.fullmatch(p.strip())]
        cost = parts * len(valid)
        if cost > self.balance:
            return self._text("-9")
        self.balance -= cost
        options = {"send_time": query["send_time"]} if "send_time" in query else {}
        ids: list[str] = []
        for phone in valid:
            smsid = str(self._next_smsid)
            self._next_smsid += 1
            ids.append(smsid)
            self.sent.append(SentMessage(phone.strip(), content, smsid, dict(options)))
            if self.auto_report:
                self.queue_report(smsid, phone.strip())
        return self._text(f"0|{len(valid)}|{len(phones) - len(valid)}|{','.join(ids)}")

    async def _get_reports(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return self._text(code)
        batch = [self.reports.popleft() for _ in range(min(MAX_REPORTS, len(self.reports)))]
        if not batch:
            return self._text("0")
        return self._text("|".join([str(len(batch)), *(r.render() for r in batch)]))

    async def _get_inbound(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return self._text(code)
        batch = [self.inbound.popleft() for _ in range(min(MAX_INBOUND, len(self.inbound)))]
        if not batch:
            return self._text("0")
        return self._text("|".join([str(len(batch)), *(m.render() for m in batch)]))

    async def _get_balance(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return self._text(code)
        return self._text(str(self.balance))
