"""A fake SMSMobileAPI: `/sendsms/`, `/getsms/`, `/log/sent/sms/`, `/oauth2/token`.

Speaks the documented wire format: parameters in the query string or a form body (JSON bodies as the
documents' axios example sends them are read too), the key as `apikey` or an OAuth2 bearer token,
answers `{"result": {...}}` whose `error` is an integer on some answers and a string on others (as
the provider's OpenAPI spec allows), HTTP 400/403/429 with `{error, message}`.

Pushes are not sent by the fake: `legacy_push_body` and `signed_push` build the exact bodies and
headers the provider POSTs, for tests and the simulator to deliver.

The phone's side is modelled too: an SMS it uploads late (`queue_late_inbound`, battery
optimisation), a carrier error it retries (`carrier_error`), the sent log read in pages (`before`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
import hashlib
import hmac
import itertools
import json
import time
from typing import Any
import uuid

from aiohttp import web

from tests.fakes.base import FakeProvider, SentMessage

DEFAULT_API_KEY = "demo-smsmobileapi-key-0123456789"
DEFAULT_WEBHOOK_SECRET = "demo-smsmobileapi-webhook-secret"
DEFAULT_CLIENT_ID = "1ab0ex4b4c1ef2c800690d"
DEFAULT_CLIENT_SECRET = "3ed108a93d0414074b94364290b6a7348475e93a0567005"
API_VERSION = "2026-09-22"

# Rows of the sent log in one answer when no `guid_message` is given. The zh document's parameter
# "before: 检索在此特定时间戳或 GUID 之前发送的消息" (retrieve the messages sent before this timestamp
# or GUID) pages through the rest; the page size is not documented (Assumption: 20).
LOG_PAGE_SIZE = 20

# The zh document on `/sendsms/`: "如果由于您的运营商而导致传送错误,默认功能将在定义的时间间隔内
# 重试发送相同的短信最多 3 次" (if a delivery error is due to your carrier, by default the same SMS
# is sent again up to 3 times at a defined interval): the first attempt and 3 retries.
CARRIER_RETRIES = 3

# Notes the fake gives with an application error (`error` != 0 in a 200 answer).
ERROR_NOTES = {
    "1": "Invalid recipient",
    "2": "No mobile connected to this API key",
    "3": "Message empty",
}


@dataclass
class LogRow:
    """One row of `/log/sent/sms/`."""

    guid: str
    recipients: str
    message: str
    timestamp_unix: int
    status: str = "pending"
    error_api: str = "0"
    error_mobile: str = ""


@dataclass
class ReceivedSms:
    """One SMS waiting on the phone for `/getsms/`."""

    id: int
    guid: str
    number: str
    message: str
    timestamp_unix: int
    read: bool = False


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SmsMobileApiFake(FakeProvider):
    """SMSMobileAPI with one account: key `DEFAULT_API_KEY`, OAuth2 client `DEFAULT_CLIENT_ID`.

    `error_as_string`: None alternates integer and string `error` values answer by answer; True or
    False fixes the type. `clock` gives the time (Unix seconds) of sends and received SMS.
    """

    key = "smsmobileapi"
    name = "SMSMobileAPI"

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        error_as_string: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """An account with nothing sent or received yet."""
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.error_as_string = error_as_string
        self.clock = clock
        self.sent: list[SentMessage] = []
        self.log: dict[str, LogRow] = {}
        self.inbound: list[ReceivedSms] = []
        self.tokens: set[str] = set()
        # Numbers the phone refuses (an application error in a 200 answer).
        self.refused_numbers: set[str] = set()
        # Numbers answered `error` 0 but `sent` "0" (the OpenAPI `SendMessageResponse.sent`
        # string): the platform did not take the message, without an error code.
        self.unsent_numbers: set[str] = set()
        # How `/getsms/` answers an empty inbox: `sms` as "list" ([]), "null" or "missing".
        self.empty_inbox = "list"
        # Failed attempts of each sent guid (carrier errors), the first attempt included.
        self.carrier_failures: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._answers = itertools.count()

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields this fake accepts."""
        return {"api_key": self.api_key, "webhook_secret": self.webhook_secret}

    # -- the documented endpoints ----------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The endpoints, with and without the trailing slash the documents use both ways."""
        routes = [web.post("/oauth2/token", self._token)]
        for path, handler in (
            ("/sendsms", self._sendsms),
            ("/getsms", self._getsms),
            ("/log/sent/sms", self._log),
        ):
            for variant in (path, path + "/"):
                routes += [web.get(variant, handler), web.post(variant, handler)]
        return routes

    async def _params(self, request: web.Request) -> dict[str, str]:
        """Query string and body parameters (form or JSON)."""
        params = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = {}
                if isinstance(body, dict):
                    params |= {str(k): str(v) for k, v in body.items()}
            else:
                params |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        return params

    def _authorised(self, request: web.Request, params: dict[str, str]) -> str | None:
        """How the caller authenticated ("apikey" or "bearer"), or None."""
        if params.get("apikey") == self.api_key:
            return "apikey"
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip() in self.tokens:
            return "bearer"
        return None

    def _error_value(self, code: int) -> int | str:
        """`error` as the provider writes it: sometimes an integer, sometimes a string."""
        as_string = self.error_as_string
        if as_string is None:
            as_string = next(self._answers) % 2 == 1
        return str(code) if as_string else code

    @staticmethod
    def _bad_request(message: str) -> web.Response:
        return web.json_response({"error": 400, "message": message}, status=400)

    async def _sendsms(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        auth = self._authorised(request, params)
        if auth is None:
            return self.auth_failure(request)
        number = params.get("recipients", "").strip()
        text = params.get("message", "")
        if not number:
            return self._bad_request("Missing parameter: recipients")
        if not text:
            return self._bad_request("Missing parameter: message")
        options: dict[str, Any] = {"auth": auth}
        for name in ("sendwa", "sendsms", "waonly"):
            if name in params:
                options[name] = params[name]
        if "schedule_timestamp" in params:
            try:
                options["schedule_timestamp"] = int(params["schedule_timestamp"])
            except ValueError:
                return self._bad_request("schedule_timestamp must be a UNIX timestamp")
        now = self.clock()
        if number in self.refused_numbers:
            return self._result(
                {"error": self._error_value(1), "sent": "0", "id": "", "note": ERROR_NOTES["1"]}
            )
        if number in self.unsent_numbers:
            return self._result({"error": self._error_value(0), "sent": "0", "id": "", "note": ""})
        guid = f"SMS-GUID-{next(self._ids):06d}"
        self.sent.append(SentMessage(number, text, guid, options))
        status = "scheduled" if "schedule_timestamp" in options else "pending"
        self.log[guid] = LogRow(guid, number, text, int(now), status)
        result: dict[str, Any] = {
            "error": self._error_value(0),
            "sent": "1",
            "id": guid,
            "note": "",
            "datetime": _stamp(now),
        }
        if options.get("sendwa") == "1" or options.get("waonly") == "yes":
            result["send_with_whatsapp"] = "1"
        return self._result(result)

    async def _getsms(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if self._authorised(request, params) is None:
            return self.auth_failure(request)
        after: int | None = None
        if params.get("after_timestamp_unix"):
            try:
                after = int(params["after_timestamp_unix"])
            except ValueError:
                return self._bad_request("after_timestamp_unix must be a UNIX timestamp")
        rows = [
            sms
            for sms in self.inbound
            if (after is None or sms.timestamp_unix > after)
            and not (params.get("onlyunread") == "yes" and sms.read)
        ]
        for sms in rows:
            sms.read = True
        if not rows and self.empty_inbox != "list":
            empty: dict[str, Any] = {"error": self._error_value(0)}
            if self.empty_inbox == "null":
                empty["sms"] = None
            return self._result(empty)
        return self._result(
            {
                "error": self._error_value(0),
                "sms": [
                    {
                        "id": sms.id,
                        "sIdentifiantPhone": "fake-phone-1",
                        "timestamp_unix": sms.timestamp_unix,
                        "message": sms.message,
                        "number": sms.number,
                        "guid": sms.guid,
                        "alias": None,
                    }
                    for sms in sorted(rows, key=lambda s: -s.timestamp_unix)
                ],
            }
        )

    async def _log(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if self._authorised(request, params) is None:
            return self.auth_failure(request)
        # Newest first (the same second: the later send first).
        rows = list(self.log.values())[::-1]
        rows.sort(key=lambda r: -r.timestamp_unix)
        if guid := params.get("guid_message"):
            # "guid_message: 用于排序和过滤的消息的唯一标识符" (the message's unique identifier, to
            # sort and filter by): the one message, whatever its age.
            rows = [r for r in rows if r.guid == guid]
            if not rows:
                # Public client code reading this endpoint by guid notes that `result.error` is
                # non-empty while the log has no entry for it yet.
                return self._result({"error": self._error_value(1), "note": "No SMS found"})
        if params.get("error_api") == "1":
            rows = [r for r in rows if r.error_api == "1"]
        if params.get("error_mobile") == "1":
            rows = [r for r in rows if r.error_mobile]
        if keyword := params.get("keyword"):
            rows = [r for r in rows if keyword in r.recipients or keyword in r.message]
        if before := params.get("before", "").strip():
            rows = self._before(rows, before)
        if not guid:
            rows = rows[:LOG_PAGE_SIZE]
        return self._result({"error": self._error_value(0), "sms": [asdict(r) for r in rows]})

    @staticmethod
    def _before(rows: list[LogRow], before: str) -> list[LogRow]:
        """The rows sent before a timestamp, or after the given guid in the newest-first list."""
        if before.isdigit():
            return [r for r in rows if r.timestamp_unix < int(before)]
        guids = [r.guid for r in rows]
        return rows[guids.index(before) + 1 :] if before in guids else []

    async def _token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if params.get("grant_type") != "client_credentials":
            return web.json_response(
                {"error": "unsupported_grant_type", "message": "Use client_credentials"},
                status=400,
            )
        if (params.get("client_id"), params.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return web.json_response(
                {"error": "invalid_client", "message": "Invalid client credentials"}, status=401
            )
        token = f"token-{next(self._ids):06d}"
        self.tokens.add(token)
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        )

    @staticmethod
    def _result(result: dict[str, Any]) -> web.Response:
        return web.json_response({"result": result})

    # -- faults ----------------------------------------------------------------------------

    def malformed_body(self) -> web.Response:
        """A PHP warning where JSON should be."""
        return web.Response(
            text="<br />\n<b>Warning</b>: mysqli_connect(): Too many connections",
            content_type="text/html",
        )

    def auth_failure(self, request: web.Request) -> web.Response:
        """HTTP 403 for a missing, wrong or expired key."""
        return web.json_response({"error": 403, "message": "Invalid API key"}, status=403)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        """`429` (with Retry-After), `400`, `403`, or an application error `code` in a 200."""
        if code == "429":
            return web.json_response(
                {"error": 429, "message": "Too many requests"},
                status=429,
                headers={"Retry-After": "30"},
            )
        if code == "400":
            return self._bad_request("Missing or invalid parameter")
        if code == "403":
            return self.auth_failure(request)
        value: int | str = int(code) if code.isdigit() else code
        if isinstance(value, int):
            value = self._error_value(value)
        note = ERROR_NOTES.get(code, f"Error {code}")
        return self._result({"error": value, "sent": "0", "id": "", "note": note})

    # -- the phone's side ------------------------------------------------------------------

    def queue_inbound(
        self,
        sender: str,
        text: str,
        *,
        received_at: float | None = None,
        guid: str | None = None,
    ) -> str:
        """An SMS the phone received; returns its guid."""
        number = next(self._ids)
        guid = guid or f"RCV-GUID-{number:06d}"
        when = int(self.clock() if received_at is None else received_at)
        self.inbound.append(ReceivedSms(number, guid, sender, text, when))
        return guid

    def queue_late_inbound(
        self, sender: str, text: str, *, received_at: float, guid: str | None = None
    ) -> str:
        """An SMS received at `received_at` that the phone uploads only now; returns its guid.

        The ru document on battery optimisation: "из-за мер оптимизации батареи Android ... этот
        фоновый процесс может запускаться некорректно" (because of Android's battery optimisation
        ... this background process may not start properly). The row keeps its receive time, so
        it appears behind a cursor that already passed that time.
        """
        return self.queue_inbound(sender, text, received_at=received_at, guid=guid)

    def carrier_error(self, message_id: str, reason: str = "RESULT_ERROR_GENERIC_FAILURE") -> None:
        """One more attempt of a sent message failed at the carrier; the phone retries it.

        Up to `CARRIER_RETRIES` retries the row keeps its `pending` status with the error in
        `error_mobile`; the failure after the last retry makes it `failed`.
        """
        row = self.log[message_id]
        failures = self.carrier_failures[message_id] = self.carrier_failures.get(message_id, 0) + 1
        row.error_mobile = reason
        row.status = "failed" if failures > CARRIER_RETRIES else "pending"

    def queue_report(
        self,
        message_id: str,
        recipient: str | None = None,
        status: str = "sent",
        reason: str | None = None,
    ) -> None:
        """Set what became of a sent message: pending, scheduled, sent, delivered, failed, rejected.

        `failed` sets the row's `error_mobile` (to `reason`), `rejected` its `error_api`.
        """
        row = self.log.get(message_id)
        if row is None:
            row = self.log[message_id] = LogRow(message_id, recipient or "", "", int(self.clock()))
        if recipient:
            row.recipients = recipient
        row.status = status
        # A later success clears the error of a retried attempt.
        row.error_mobile = (reason or "1") if status == "failed" else ""
        row.error_api = "1" if status == "rejected" else "0"

    def snapshot(self) -> dict[str, Any]:
        """Sent messages, their log, SMS waiting on the phone."""
        return {
            "sent": [asdict(m) for m in self.sent],
            "log": [asdict(r) for r in self.log.values()],
            "inbound": [asdict(s) for s in self.inbound],
            "oauth_tokens": len(self.tokens),
            "refused_numbers": sorted(self.refused_numbers),
            "unsent_numbers": sorted(self.unsent_numbers),
            "carrier_failures": dict(self.carrier_failures),
        }


# -- pushes ----------------------------------------------------------------------------------


def legacy_push_body(
    number: str,
    message: str,
    *,
    guid: str | None = None,
    received_at: datetime | None = None,
) -> bytes:
    """The documents' push `{date, hour, time_received, message, number, guid}` (times in UTC)."""
    received = (received_at or datetime.now(UTC)).astimezone(UTC)
    if guid is None:
        raw = f"{number}|{message}|{received.isoformat()}".encode()
        guid = hashlib.sha256(raw).hexdigest()[:10]
    return json.dumps(
        {
            "date": received.strftime("%Y-%m-%d"),
            "hour": received.strftime("%H:%M:%S"),
            "time_received": received.strftime("%Y-%m-%d %H:%M:%S"),
            "message": message,
            "number": number,
            "guid": guid,
        },
        ensure_ascii=False,
    ).encode()


def signature_headers(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """`X-SMSMobileAPI-Timestamp` and `X-SMSMobileAPI-Signature: v1=<hex>` for `body`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "X-SMSMobileAPI-Timestamp": str(timestamp),
        "X-SMSMobileAPI-Signature": f"v1={digest.hexdigest()}",
    }


def signed_push(
    event_type: str,
    data: dict[str, Any],
    secret: str | None,
    timestamp: int,
    *,
    event_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A Webhook V2 envelope and its headers (unsigned when `secret` is None).

    The event id is derived from the content unless given, so the same push built twice is a
    redelivery of the same event, as the provider's at-least-once delivery makes it.
    """
    if event_id is None:
        seed = json.dumps([event_type, data, timestamp], sort_keys=True, default=str)
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "api_version": API_VERSION,
            "created_at": _iso(timestamp),
            "occurred_at": _iso(timestamp),
            "data": data,
        },
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-SMSMobileAPI-Event": event_type,
        "X-SMSMobileAPI-Event-ID": event_id,
        "Idempotency-Key": event_id,
    }
    if secret is not None:
        headers |= signature_headers(body, secret, timestamp)
    return body, headers
