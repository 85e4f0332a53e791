"""Talk to SMSMobileAPI.

SMS (and WhatsApp) are sent and received by the user's own Android phone.

The API (`https://api.smsmobileapi.com`) takes the key as the `apikey` parameter. Sends are
`POST /sendsms/` (form-encoded), received SMS are read with `GET /getsms/`, the log of API sends
with `GET /log/sent/sms/`. Pushes come in two formats: the documents' plain JSON
`{date, hour, time_received, message, number, guid}`, and the newer "Webhook V2" envelope
`{id, type, api_version, created_at, occurred_at, data}` signed with HMAC-SHA256.

The phone, not the provider, does the work: it uploads what it received and sends what it is given
when Android lets it run (the Russian document spends paragraphs on battery optimisation delaying
its background process), and it retries an SMS the carrier refused. Hence the wide inbound window
and the patient reading of carrier errors below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
import hashlib
import hmac
import math
import time
from typing import Any

from . import _parse
from .client import Gateway
from .exceptions import (
    AuthError,
    GatewayError,
    PayloadError,
    ProtocolError,
    RefusedError,
    SignatureError,
)
from .jsonish import loads
from .models import (
    AccountInfo,
    Capabilities,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    RecipientResult,
    SendOptions,
    WebhookPayload,
)
from .numbers import to_e164
from .transport import HttpAnswer

SIGNATURE_HEADER = "x-smsmobileapi-signature"
TIMESTAMP_HEADER = "x-smsmobileapi-timestamp"
# The provider's own receivers reject a push whose timestamp is further than this from now.
MAX_SKEW_SECONDS = 300

# Channel -> the documented `sendwa` / `sendsms` switches. Assumption: the OpenAPI spec's newer
# spelling of WhatsApp-only, `waonly=yes`, is sent as well so either server generation understands.
_CHANNEL_FIELDS: dict[Channel, dict[str, str]] = {
    Channel.SMS: {"sendsms": "1"},
    Channel.WHATSAPP: {"sendwa": "1", "sendsms": "0", "waonly": "yes"},
    Channel.BOTH: {"sendwa": "1", "sendsms": "1"},
}

# Inbound polls look back this far before the cursor. The phone uploads what it received when
# Android lets its background process run; the Russian document: "из-за мер оптимизации батареи
# Android ... этот фоновый процесс может запускаться некорректно" (because of Android's battery
# optimisation ... this background process may not start properly). A message uploaded late keeps
# its receive time, so a window starting at the cursor would miss it. Assumption: 15 minutes covers
# a phone woken late (the document gives no figure); the overlap costs nothing, the caller drops
# messages it has seen by id (the row's `guid`).
LATE_UPLOAD_SECONDS = 15 * 60

# Ids looked up in the sent log per poll, one request each (`guid_message`). Assumption: the
# documents give no rate limit besides HTTP 429; 10 lookups a poll (3 at a time) keep a minute's
# poll small, and the ids are taken in turn (oldest first) so every pending id is asked again
# within `ceil(pending / 10)` polls.
REPORT_LOOKUPS_PER_POLL = 10

# The zh document on `/sendsms/`: "如果由于您的运营商而导致传送错误,默认功能将在定义的时间间隔内
# 重试发送相同的短信最多 3 次" (if a delivery error is due to your carrier, by default the same SMS
# is sent again up to 3 times at a defined interval). A carrier error in the log is therefore not
# final while the phone may still retry. Assumption: the interval is not given and the log names no
# attempt counter, so a carrier error is final once the log says `failed` (or another failure word),
# or once the send is older than this (the retries are long over).
CARRIER_RETRY_SECONDS = 6 * 3600

# Webhook V2 event types that report on a message we sent.
_REPORT_EVENTS = {
    "sms.sent": DeliveryStatus.SENT,
    "sms.failed": DeliveryStatus.FAILED,
    "whatsapp.sent": DeliveryStatus.SENT,
    "whatsapp.failed": DeliveryStatus.FAILED,
}
# Documented event types that carry nothing for this integration (calls, e-mail, texts typed on the
# phone ...): accepted and ignored, so the provider does not retry them forever. A type outside the
# OpenAPI spec's list is refused (PayloadError).
_IGNORED_EVENTS = frozenset(
    {
        "sms.api.submitted",
        "sms.mobile.sent",
        "call.missed",
        "call.incoming",
        "call.outgoing",
        "whatsapp.submitted",
        # Assumption: the transcript of a voice message (data `transcript`) is not a text the
        # sender typed; the voice message itself arrives as `whatsapp.received`.
        "whatsapp.voice.transcribed",
        "email.sent",
        "email.received",
    }
)

# Inbound event types -> the channel they arrived on (the OpenAPI spec's `WebhookEnvelope.type`;
# `whatsapp.received` carries `data: {guid, data_id, from, contact_name, message, is_voice_message,
# received_at}` in the provider's webhook examples, the same shape as `sms.received`).
_INBOUND_EVENTS = {
    "sms.received": Channel.SMS,
    "whatsapp.received": Channel.WHATSAPP,
}

# Assumption: the sent-SMS log's `status` words (the documents list only the request parameters).
_LOG_STATUSES = {
    "pending": DeliveryStatus.PENDING,
    "queued": DeliveryStatus.PENDING,
    "scheduled": DeliveryStatus.PENDING,
    "waiting": DeliveryStatus.PENDING,
    "processing": DeliveryStatus.PENDING,
    "submitted": DeliveryStatus.PENDING,
    "sent": DeliveryStatus.SENT,
    "success": DeliveryStatus.SENT,
    "ok": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "failed": DeliveryStatus.FAILED,
    "error": DeliveryStatus.FAILED,
    "undelivered": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.REJECTED,
}


class SmsMobileApiGateway(Gateway):
    """Call SMSMobileAPI.

    The user's Android phone sends and receives through the provider's API.
    """

    key = "smsmobileapi"
    name = "SMSMobileAPI"
    default_url = "https://api.smsmobileapi.com"
    capabilities = Capabilities(
        # Assumption: the documents allow texts longer than 160 characters without naming a limit;
        # 1600 (10 concatenated segments) stays well inside what phones send.
        max_length=1600,
        # Assumption: `recipients` is documented as "the recipient's number"; comma-separated
        # lists are not documented, so one number a request.
        max_recipients_per_request=1,
        max_concurrent_requests=3,
        poll_inbound=True,
        poll_reports=True,
        webhook=True,
        signed_webhook=True,
        schedule=True,
        channels=True,
        # The API wants international numbers: there is no country to assume.
        default_region=None,
    )

    # Ids looked up in the sent log in the current round (see `_next_lookups`).
    _asked: frozenset[str] | set[str] = frozenset()

    @property
    def _api_key(self) -> str:
        return str(self._credentials.get("api_key") or "")

    @property
    def _webhook_secret(self) -> str:
        return str(self._credentials.get("webhook_secret") or "")

    # -- account -----------------------------------------------------------------------------

    async def async_validate(self) -> AccountInfo:
        """Prove the key with a cheap authenticated read; the account id is a hash of the key."""
        # Assumption: the API has no account endpoint; reading received SMS after "now" returns
        # (almost) nothing and is refused with HTTP 403 for a bad key (OpenAPI: "Forbidden: API
        # key invalid, expired or unauthorized").
        answer = await self._get(
            "/getsms/", {"onlyunread": "no", "after_timestamp_unix": str(int(time.time()))}
        )
        self._key_accepted(answer)
        digest = hashlib.sha256(self._api_key.encode()).hexdigest()[:12]
        # No part of the key appears in the name: titles and logs show it.
        return AccountInfo(account_id=digest, name=self.name)

    def format_number(self, number: str) -> str:
        """Return `+` and country code: the API wants international numbers."""
        return to_e164(number, self.default_region)

    # -- sending -----------------------------------------------------------------------------

    async def _async_send_batch(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        """Send one text to one number (one number a request)."""
        (number,) = numbers
        form = {"apikey": self._api_key, "recipients": number, "message": text}
        if options.channel is not None:
            form |= _CHANNEL_FIELDS[options.channel]
        if options.send_at is not None:
            # UTC Unix seconds; rounded up so the message never leaves before the requested time.
            form["schedule_timestamp"] = str(math.ceil(options.send_at.timestamp()))
        answer = await self._request("POST", "/sendsms/", data=form)
        return [self._send_result(answer, number)]

    # -- polling -----------------------------------------------------------------------------

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Fetch SMS the phone received (from `LATE_UPLOAD_SECONDS` before `since` where given)."""
        params: dict[str, str] = {}
        if since is not None:
            # A fixed look-back, not one growing with the time since the last poll: a message
            # uploaded late still carries its (older) receive time. Whether the server's "after"
            # is inclusive does not matter with this overlap.
            params["after_timestamp_unix"] = str(
                math.floor(since.timestamp()) - LATE_UPLOAD_SECONDS
            )
        return self._received_sms(await self._get("/getsms/", params))

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Tell what became of the given sends: each looked up in the sent log by its guid.

        The log is paged (`before`), so one unfiltered read shows only the newest sends; each id is
        asked with `guid_message` instead, at most `REPORT_LOOKUPS_PER_POLL` a poll, in turn.
        """
        batch = self._next_lookups(message_ids)
        if not batch:
            return []
        reports: list[DeliveryReport] = []
        errors: list[GatewayError] = []
        todo = iter(batch)

        async def worker() -> None:
            for message_id in todo:
                try:
                    answer = await self._get("/log/sent/sms/", {"guid_message": message_id})
                    reports.extend(self._reports(answer, {message_id}))
                except GatewayError as err:
                    errors.append(err)

        workers = min(self.capabilities.max_concurrent_requests, len(batch))
        await asyncio.gather(*(worker() for _ in range(workers)))
        # A refused key is everyone's problem; other failures lose only their ids' news this poll
        # (they are asked again next round), unless nothing at all came back.
        auth = next((e for e in errors if isinstance(e, AuthError)), None)
        if auth is not None:
            raise auth
        if errors and len(errors) == len(batch):
            raise errors[0]
        return reports

    def _next_lookups(self, message_ids: Sequence[str]) -> list[str]:
        """Return the next ids to look up: the oldest not yet asked in this round of pending ids."""
        ids = list(dict.fromkeys(i for i in message_ids if i))
        # Ids settled meanwhile leave the round; when every id was asked, a new round begins.
        asked = self._asked.intersection(ids)
        fresh = [i for i in ids if i not in asked]
        if not fresh:
            asked, fresh = set(), ids
        batch = fresh[:REPORT_LOOKUPS_PER_POLL]
        self._asked = asked.union(batch)
        return batch

    # -- webhook -----------------------------------------------------------------------------

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookPayload:
        """Parse one push: the documents' plain JSON, or the signed Webhook V2 envelope.

        With a `webhook_secret` in the entry, every push must carry a valid, fresh signature.
        """
        if self._webhook_secret:
            self._verify(body, headers, time.time() if now is None else now)
        try:
            data = loads(body)
        except (ValueError, RecursionError):
            raise PayloadError(f"{self.name} push is not JSON") from None
        if not isinstance(data, dict):
            raise PayloadError(f"{self.name} push is not a JSON object")
        if "type" in data:
            return _parse_envelope(data, self.sender)
        return WebhookPayload(messages=(_parse_legacy(data, self.sender),))

    def _verify(self, body: bytes, headers: Mapping[str, str], now: float) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        signature, stamp = lowered.get(SIGNATURE_HEADER), lowered.get(TIMESTAMP_HEADER)
        if not signature or not stamp:
            raise SignatureError(f"{self.name} push is not signed")
        try:
            timestamp = int(stamp.strip())
        except ValueError:
            raise SignatureError(f"{self.name} push has a bad timestamp") from None
        expected = hmac.new(
            self._webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        # Several `v1=` values may be given (a secret being rotated): any one may match.
        candidates = [
            part.strip()[3:].strip().lower()
            for part in signature.replace(" ", ",").split(",")
            if part.strip().startswith("v1=")
        ]
        if not any(
            hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in candidates
        ):
            raise SignatureError(f"{self.name} push signature does not match")
        if abs(now - timestamp) > MAX_SKEW_SECONDS:
            raise SignatureError(f"{self.name} push is stale", reason="stale")

    # -- answers -----------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str]) -> HttpAnswer:
        return await self._request("GET", path, params={"apikey": self._api_key, **params})

    def _key_accepted(self, answer: HttpAnswer) -> None:
        """Raise `AuthError` unless the answer shows the key was accepted.

        Any 200 answer with a `result` object proves the key, whatever it lists: an empty inbox
        (`sms` empty, null or missing, or a non-zero `error` saying there is nothing) is not a
        refusal. Only HTTP 401/403 or an `error` whose note speaks of the key is.
        """
        result = self._result(answer, "/getsms/", ProtocolError)
        code = _error_code(result.get("error"))
        note = self._scrub(_parse.text(result.get("note")) or _parse.text(result.get("message")))
        if code is not None and _names_the_key(note):
            # Assumption: the documents give no application error for a bad key (it is HTTP
            # 403); a 200 whose note speaks of an invalid key is read the same way.
            raise AuthError(f"{self.name} rejected the API key", code=code, reason=note or None)

    def _send_result(self, answer: HttpAnswer, number: str) -> RecipientResult:
        result = self._result(answer, "/sendsms/", RefusedError)
        code = _error_code(result.get("error"))
        reason = self._scrub(_parse.text(result.get("note")) or _parse.text(result.get("message")))
        if code is not None:
            return RecipientResult(
                number, accepted=False, reason=reason or f"error {code}", code=code
            )
        # Assumption: only an explicit zero refuses; `error` 0 without a readable `sent` is a
        # send that went through (older answers and the documents' examples do not always carry
        # `sent`).
        if _parse.flag(result.get("sent")) is False:
            # `sent` is "1" for an accepted send (NOTES.md, OpenAPI `SendMessageResponse.sent`);
            # "0" with `error` 0 is a send that did not go through.
            return RecipientResult(
                number, accepted=False, reason=reason or "the message was not sent (sent=0)"
            )
        # Assumption: the send answer's `id` is the message's guid, the id the log and the
        # webhook events use. An answer without one is still a send that went through.
        message_id = _parse.text(result.get("id")) or _parse.text(result.get("guid")) or None
        return RecipientResult(number, accepted=True, message_id=message_id)

    def _reports(self, answer: HttpAnswer, wanted: set[str]) -> list[DeliveryReport]:
        result = self._result(answer, "/log/sent/sms/", ProtocolError)
        rows = result.get("sms", result.get("list"))
        if rows is None:
            # Assumption: public client code says the log answers a non-zero `error` (and no
            # list) when it has nothing to list, so that is "no news", not a failure.
            return []
        if not isinstance(rows, list):
            raise ProtocolError(f"{self.name} answered /log/sent/sms/ without a list")
        reports: dict[str, DeliveryReport] = {}
        now = time.time()
        for row in rows:
            report = _log_report(row, now) if isinstance(row, dict) else None
            if report is not None and report.message_id in wanted:
                # The log lists the newest first: the first row of an id is its latest state.
                reports.setdefault(report.message_id, report)
        return list(reports.values())

    def _received_sms(self, answer: HttpAnswer) -> list[InboundMessage]:
        result = self._result(answer, "/getsms/", ProtocolError)
        rows = result.get("sms")
        if rows is None:
            # Assumption: an empty inbox answers `error` 0 (and an empty or no list); a non-zero
            # `error` without a list is a refusal whose reason is in `note`.
            code = _error_code(result.get("error"))
            if code is None:
                return []
            reason = self._scrub(
                _parse.text(result.get("note")) or _parse.text(result.get("message"))
            )
            raise RefusedError(
                f"{self.name} refused to list received SMS: {reason or code}",
                code=code,
                reason=reason or None,
            )
        if not isinstance(rows, list):
            raise ProtocolError(f"{self.name} answered /getsms/ without a list")
        messages = (
            _received_row(row, self.sender) if isinstance(row, dict) else None for row in rows
        )
        # A row that cannot be read is skipped, not the whole poll.
        return [m for m in messages if m is not None]

    def _result(
        self, answer: HttpAnswer, where: str, bad_request: type[GatewayError]
    ) -> dict[str, Any]:
        """Return the `result` object of a 2xx answer; HTTP errors become the matching error."""
        if not 200 <= answer.status < 300:
            code, reason = self._error_body(answer)
            if answer.status in (401, 403):
                raise AuthError(
                    f"{self.name} rejected the API key (HTTP {answer.status})",
                    code=code,
                    reason=reason,
                )
            if answer.status == 400:
                raise bad_request(
                    f"{self.name} refused the request: {reason or code}", code=code, reason=reason
                )
            raise ProtocolError(
                f"{self.name} answered {where} with HTTP {answer.status}", code=code, reason=reason
            )
        try:
            body = loads(answer.body)
        except (ValueError, RecursionError):
            raise ProtocolError(f"{self.name} answered {where} with something not JSON") from None
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.name} answered {where} without a result")
        return result

    def _error_body(self, answer: HttpAnswer) -> tuple[str, str | None]:
        """Read `{error, message}` of an HTTP error answer, as far as it can be read."""
        code, reason = str(answer.status), None
        try:
            body = loads(answer.body)
        except (ValueError, RecursionError):
            return code, None
        if isinstance(body, dict):
            code = _error_code(body.get("error")) or code
            reason = (
                self._scrub(_parse.text(body.get("message")) or _parse.text(body.get("note")))
                or None
            )
        return code, reason

    def _scrub(self, text: str) -> str:
        """Cut the key out of a provider text, should the provider ever echo it."""
        for secret in (self._api_key, self._webhook_secret):
            if secret:
                text = text.replace(secret, "***")
        return text


# -- helpers (pure functions over parsed JSON) ------------------------------------------------


def _error_code(value: Any) -> str | None:
    """Return `error` as the provider's code, or None when it means success (0, "0", "", absent)."""
    if value is None or value is False:
        return None
    if value is True:
        return "1"
    if isinstance(value, (int, float)):
        if value == 0:
            return None
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        text = value.strip()
        return None if text in ("", "0") else text[:64]
    # An object or a list where a code belongs is not a success.
    return "unknown"


def _names_the_key(note: str) -> bool:
    """Tell whether an application error's note is about the API key."""
    lowered = note.lower()
    return ("key" in lowered or "clé" in lowered) and any(
        word in lowered for word in ("invalid", "wrong", "unknown", "expired", "incorrect", "bad")
    )


def _unix(value: Any) -> datetime | None:
    """Read Unix seconds (a number or numeric text) as an aware UTC datetime."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _datetime(value: Any) -> datetime | None:
    """Read ISO 8601 or "YYYY-MM-DD HH:MM:SS"; without a zone it is UTC."""
    text = _parse.text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    # Assumption: the documents give no zone for their times; they are read as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _fingerprint(sender: str, text: str, received_at: datetime) -> str:
    """Return a stable id for a message the provider gave none."""
    return _parse.fingerprint(sender, text, received_at.isoformat())


def _received_row(row: Mapping[str, Any], e164: Callable[[str], str]) -> InboundMessage | None:
    """Read one `/getsms/` row; None if it lacks a sender, a text or a time.

    Assumption: `/getsms/` lists SMS only. Its rows (OpenAPI `ReceivedSmsResponse`: id,
    sIdentifiantPhone, timestamp_unix, message, number, guid, alias) carry no channel; received
    WhatsApp messages have their own endpoint (`/getwa/`, after a synchronisation request).
    """
    sender, text = _parse.text(row.get("number")), row.get("message")
    received_at = _unix(row.get("timestamp_unix")) or _datetime(row.get("time_received"))
    if not sender or not isinstance(text, str) or not text or received_at is None:
        return None
    message_id = _parse.first(row, "guid", "id") or _fingerprint(sender, text, received_at)
    # The phone passes on the number as the network gave it (`0612345678`): E.164 where it is one.
    return InboundMessage(message_id, e164(sender), text, received_at)


def _errored(value: Any) -> bool:
    """Tell whether an error flag of the log is raised: anything but empty / 0 / false."""
    return _error_code(value) is not None


def _log_report(row: Mapping[str, Any], now: float) -> DeliveryReport | None:
    """Read one row of the sent log as a report; None if it cannot be understood.

    Assumption: rows look like `{guid, recipients|number, status, error_api, error_mobile,
    timestamp_unix}`; public client code also shows `send_from_mobile` ("1" once the phone sent
    it) and `send_from_mobile_erreur` (the phone's error text). All are read where present.
    A mobile (carrier) error is final only per `CARRIER_RETRY_SECONDS`.
    """
    message_id = _parse.first(row, "guid", "guid_message", "id")
    if not message_id:
        return None
    api_error = _parse.text(row.get("error_api"))
    mobile_error = next(
        (
            text
            for key in ("error_mobile", "send_from_mobile_erreur")
            if _errored(text := _parse.text(row.get(key)))
        ),
        "",
    )
    status: DeliveryStatus | None
    reason: str | None = None
    final: bool | None = None
    logged = _LOG_STATUSES.get(_parse.text(row.get("status")).lower())
    sent_at = _unix(row.get("timestamp_unix"))
    if _errored(api_error):
        status = DeliveryStatus.REJECTED
        reason = api_error if api_error != "1" else "refused by the API"
    elif mobile_error:
        reason = mobile_error if mobile_error != "1" else "the phone could not send it"
        retries_over = sent_at is not None and now - sent_at.timestamp() > CARRIER_RETRY_SECONDS
        if logged is DeliveryStatus.FAILED or retries_over:
            status = DeliveryStatus.FAILED
        else:
            # The phone retries a carrier error (up to 3 times): still on its way, not final.
            status, final = DeliveryStatus.PENDING, False
    else:
        status = logged
        if status is None and _parse.text(row.get("send_from_mobile")) == "1":
            status = DeliveryStatus.SENT
        if status is DeliveryStatus.FAILED:
            reason = _parse.first(row, "reason", "note") or None
        elif status is DeliveryStatus.SENT:
            # Assumption: nothing follows `sent` (the OpenAPI spec has no delivered event; the
            # phone reports only whether the carrier took it), so the id stops being looked up.
            final = True
    if status is None:
        return None
    return DeliveryReport(
        message_id,
        _parse.first(row, "recipients", "number", "recipient", "to"),
        status,
        sent_at,
        reason,
        final,
    )


def _parse_legacy(data: Mapping[str, Any], e164: Callable[[str], str]) -> InboundMessage:
    """Read the documents' push: `{date, hour, time_received, message, number, guid}`."""
    sender, text = _parse.text(data.get("number")), data.get("message")
    if not sender or not isinstance(text, str) or not text:
        raise PayloadError("SMSMobileAPI push has no number or message")
    received_at = _datetime(data.get("time_received")) or _datetime(
        f"{_parse.text(data.get('date'))} {_parse.text(data.get('hour'))}"
    )
    if received_at is None:
        raise PayloadError("SMSMobileAPI push has no time")
    message_id = _parse.text(data.get("guid")) or _fingerprint(sender, text, received_at)
    return InboundMessage(message_id, e164(sender), text, received_at)


def _parse_envelope(envelope: Mapping[str, Any], e164: Callable[[str], str]) -> WebhookPayload:
    """Read the Webhook V2 envelope `{id, type, api_version, created_at, occurred_at, data}`."""
    event_id, kind, data = (
        _parse.text(envelope.get("id")),
        envelope.get("type"),
        envelope.get("data"),
    )
    if not event_id or not isinstance(kind, str) or not isinstance(data, dict):
        raise PayloadError("SMSMobileAPI event has no id, type or data")
    occurred_at = _datetime(envelope.get("occurred_at"))
    if kind in _INBOUND_EVENTS:
        message = _event_message(data, _INBOUND_EVENTS[kind], occurred_at, e164)
        return WebhookPayload(messages=(message,) if message else (), event_id=event_id)
    if kind in _REPORT_EVENTS:
        message_id = _parse.first(data, "guid", "id", "message_id")
        if not message_id:
            raise PayloadError("SMSMobileAPI event names no message")
        status = _REPORT_EVENTS[kind]
        reason = (
            _parse.first(data, "reason", "error", "error_message", "failure_reason") or None
            if status is DeliveryStatus.FAILED
            else None
        )
        report = DeliveryReport(
            message_id,
            _parse.first(data, "to", "number", "recipient", "recipients"),
            status,
            _datetime(data.get("sent_at") or data.get("failed_at")) or occurred_at,
            reason,
        )
        return WebhookPayload(reports=(report,), event_id=event_id)
    if kind in _IGNORED_EVENTS:
        return WebhookPayload(event_id=event_id)
    raise PayloadError("SMSMobileAPI event of an unknown type")


def _event_message(
    data: Mapping[str, Any],
    channel: Channel,
    occurred_at: datetime | None,
    e164: Callable[[str], str],
) -> InboundMessage | None:
    """Read the message of an `sms.received` / `whatsapp.received` event (None: none to show)."""
    sender = _parse.first(data, "from", "number", "sender")
    text = data.get("message", data.get("text"))
    if (
        channel is Channel.WHATSAPP
        and data.get("is_voice_message") is True
        and not (isinstance(text, str) and text)
    ):
        # A WhatsApp voice message has no text (its transcript comes as another event): the
        # event is acknowledged, so the provider does not retry it, and nothing is shown.
        return None
    if not sender or not isinstance(text, str) or not text:
        raise PayloadError("SMSMobileAPI event has no sender or message")
    received_at = _datetime(data.get("received_at")) or occurred_at
    if received_at is None:
        raise PayloadError("SMSMobileAPI event has no time")
    message_id = _parse.first(data, "guid", "id", "message_id") or _fingerprint(
        sender, text, received_at
    )
    return InboundMessage(message_id, e164(sender), text, received_at, channel=channel)
