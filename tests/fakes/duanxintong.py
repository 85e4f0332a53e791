"""A fake 企业短信通 (112088.net) HTTP API: GET, GBK query strings, GBK text answers.

It behaves as the document says the real server does: numbers are checked for length (bad ones are
counted as failed, not refused), the balance counts messages, and queued inbound messages and
delivery reports are handed out once and then forgotten.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from custom_components.sms_gateways.gateways.text import analyse
from tests.fakes.base import FakeProvider, SentMessage

MAX_NUMBERS = 100
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


def _text(answer: str) -> web.Response:
    return web.Response(body=answer.encode("gbk"), content_type="text/plain", charset="gbk")


class DuanxintongFake(FakeProvider):
    """The four documented endpoints under the API root.

    Defaults (the simulator uses them): user name `demo`, password `demo-password`, 1000 messages
    of balance, banned words 发票 and 代开, and a delivered report queued for every number sent.
    """

    key = "duanxintong"

    def __init__(
        self,
        *,
        username: str = "demo",
        password: str = "demo-password",
        balance: int = 1000,
        banned_words: tuple[str, ...] = ("发票", "代开"),
        auto_report: bool = True,
    ) -> None:
        """Start with an empty outbox and queues."""
        super().__init__()
        self.username = username
        self.password = password
        self.balance = balance
        self.banned_words = banned_words
        self.auto_report = auto_report
        self.locked = False
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

    def malformed_body(self) -> web.Response:
        """What a broken ASP page serves: an HTML error, not a code."""
        return _text("<html><body>Microsoft VBScript 运行时错误 '800a000d'</body></html>")

    def auth_failure(self, request: web.Request) -> web.Response:
        """Every endpoint answers -7 to a wrong password."""
        return _text("-7")

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """The code as the server writes it (`-3|禁发词` included)."""
        return _text(code)

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
            return _text("-7")
        if self.locked:
            return _text("-10")
        phones = [p for p in query.get("send_phone", "").split(",") if p.strip()]
        content = query.get("send_content", "")
        if not phones:
            return _text("-1")
        if not content:
            return _text("-2")
        if len(phones) > MAX_NUMBERS:
            return _text("-4")
        if len(content) > MAX_LENGTH:
            return _text("-8")
        if banned := next((w for w in self.banned_words if w in content), None):
            return _text(f"-3|{banned}")
        valid = [p for p in phones if _VALID_NUMBER.fullmatch(p.strip())]
        cost = analyse(content).segments * len(valid)
        if cost > self.balance:
            return _text("-9")
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
        return _text(f"0|{len(valid)}|{len(phones) - len(valid)}|{','.join(ids)}")

    async def _get_reports(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return _text(code)
        batch = [self.reports.popleft() for _ in range(min(MAX_REPORTS, len(self.reports)))]
        if not batch:
            return _text("0")
        return _text("|".join([str(len(batch)), *(r.render() for r in batch)]))

    async def _get_inbound(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return _text(code)
        batch = [self.inbound.popleft() for _ in range(min(MAX_INBOUND, len(self.inbound)))]
        if not batch:
            return _text("0")
        return _text("|".join([str(len(batch)), *(m.render() for m in batch)]))

    async def _get_balance(self, request: web.Request) -> web.Response:
        if (code := self._login(self._query(request))) is not None:
            return _text(code)
        return _text(str(self.balance))
