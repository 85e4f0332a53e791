"""The interface every gateway implements, and the types it speaks in.

Nothing here imports Home Assistant: the `gateways` package could be published as a library. The Home
Assistant side only ever talks to `Gateway`, so it never branches on the provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import time
from typing import Any, ClassVar, Protocol

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from .errors import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidOptionError,
    MessageTooLongError,
    NoRecipientsError,
    ProtocolError,
    TemporaryError,
    UnsupportedError,
    UnsupportedOptionError,
)
from .numbers import sender_e164, to_e164
from .text import TextInfo, analyse

DEFAULT_TIMEOUT = 15.0
# Redirects followed at most, where a provider allows them at all (`Gateway._may_follow`).
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A body larger than this is not an answer any of these APIs gives; refuse to buffer it.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class Channel(StrEnum):
    """Where SMSMobileAPI sends a message from the user's phone."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    BOTH = "both"


class DeliveryStatus(StrEnum):
    """The states of the `last_delivery_status` sensor (SPEC.md)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do and its limits; the Home Assistant side validates with these."""

    max_length: int
    max_recipients_per_request: int
    # Providers that take one number a request are driven with this many requests at once.
    max_concurrent_requests: int = 1
    balance: bool = False
    balance_unit: str | None = None
    poll_inbound: bool = False
    poll_reports: bool = False
    webhook: bool = False
    signed_webhook: bool = False
    schedule: bool = False
    flash: bool = False
    unicode: bool = False
    channels: bool = False
    sender_id: bool = False
    # Phone number region assumed for a number written without a country code.
    default_region: str | None = None
    # The provider's documented number form is country code and number without `+`
    # (`91856321412`): such digits are read as international when not a national number.
    country_code_digits: bool = False


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Options of one send; `None`/`False` means the provider's default."""

    send_at: datetime | None = None
    flash: bool = False
    unicode: bool | None = None
    channel: Channel | None = None
    sender_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """What became of one recipient: accepted with the provider's id, or rejected with its reason."""

    number: str
    accepted: bool
    message_id: str | None = None
    reason: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The per-recipient outcome of one send, in the order the recipients were given."""

    results: tuple[RecipientResult, ...]
    requests: int
    text: TextInfo

    @property
    def accepted(self) -> list[RecipientResult]:
        """Recipients the provider accepted."""
        return [r for r in self.results if r.accepted]

    @property
    def rejected(self) -> list[RecipientResult]:
        """Recipients the provider (or the transport) did not accept."""
        return [r for r in self.results if not r.accepted]


@dataclass(frozen=True, slots=True)
class Balance:
    """Remaining credit, in the provider's unit (a currency code, or "messages")."""

    value: float
    unit: str

    @property
    def is_currency(self) -> bool:
        """An ISO 4217 code ("MXN", "USD"), as opposed to a count such as "messages"."""
        return is_currency(self.unit)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """Who the credentials belong to: `account_id` makes the config entry unique."""

    account_id: str
    name: str
    balance: Balance | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One SMS received; `message_id` is the provider's id, or a stable fingerprint."""

    message_id: str
    sender: str
    text: str
    received_at: datetime
    # SMSMobileAPI also relays WhatsApp messages received by the phone.
    channel: Channel = Channel.SMS


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What became of one message after it was sent."""

    message_id: str
    recipient: str
    status: DeliveryStatus
    occurred_at: datetime | None = None
    reason: str | None = None
    # Whether no later report will come for this message. None: decided by the status
    # (delivered, failed and rejected are final). A provider says True for a report that ends
    # the wait whatever its status (112088's -1: "no status report received", never sent again).
    final: bool | None = None

    @property
    def settled(self) -> bool:
        """No later report is expected for this message."""
        if self.final is not None:
            return self.final
        return self.status in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.FAILED,
            DeliveryStatus.REJECTED,
        )


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """What one webhook push carried."""

    messages: tuple[InboundMessage, ...] = ()
    reports: tuple[DeliveryReport, ...] = ()
    # The provider's own id of the push, for deduplicating at-least-once deliveries.
    event_id: str | None = None


@dataclass(slots=True)
class HttpAnswer:
    """A provider's answer: status, headers and the raw body."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RequestCounter:
    """HTTP requests a gateway made since `started` (`time.monotonic()`), by endpoint.

    The endpoint is the path's first segment, never the path: credentials travel in some paths.
    """

    started: float
    counts: Counter[str] = field(default_factory=Counter)


class Gateway(ABC):
    """One provider's API.

    `credentials` holds the config entry's fields (SPEC.md names). Every request goes through
    `_request`, which bounds it with `timeout` and turns transport failures into `TemporaryError`
    without ever showing a URL (several providers put credentials in the path or query).
    """

    key: ClassVar[str]
    name: ClassVar[str]
    model: ClassVar[str]
    default_url: ClassVar[str]
    dashboard_url: ClassVar[str | None] = None
    capabilities: ClassVar[Capabilities]
    # Config entry fields that are secrets, for redaction and reauthentication.
    secret_fields: ClassVar[tuple[str, ...]]
    # Config entry fields, in form order; `url` is always added by the form.
    fields: ClassVar[tuple[str, ...]]
    # Fields a user may leave empty.
    optional_fields: ClassVar[tuple[str, ...]] = ()
    # Secret fields that are not credentials (checked on pushes, not by `async_validate`).
    unvalidated_fields: ClassVar[tuple[str, ...]] = ()
    # True where the account id is derived from a secret (a new key is then a new id).
    account_from_secret: ClassVar[bool] = False

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Mapping[str, Any],
        *,
        url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        default_region: str | None = None,
    ) -> None:
        """Keep the caller's session; a trailing slash on `url` is dropped, a path prefix kept."""
        self._session = session
        self._credentials = dict(credentials)
        self._url = (url or self.default_url).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.default_region = default_region or self.capabilities.default_region
        self.requests = RequestCounter(time.monotonic())

    @property
    def url(self) -> str:
        """The API root in use."""
        return self._url

    # -- what every provider implements ------------------------------------------------------

    @abstractmethod
    async def async_validate(self) -> AccountInfo:
        """Check the credentials against the provider; raise `AuthError` if rejected."""

    @abstractmethod
    def format_number(self, number: str) -> str:
        """Turn a user's number into the provider's form, or raise `InvalidNumberError`."""

    @abstractmethod
    async def _async_send_batch(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        """Send one request for `numbers` (already in provider form, within the batch limit).

        Return one result per number, in order, with `number` in provider form.
        """

    async def async_balance(self) -> Balance:
        """Remaining credit."""
        raise UnsupportedError(f"{self.name} reports no balance")

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Messages received since `since` (providers that forget what they handed out ignore it)."""
        raise UnsupportedError(f"{self.name} has no inbound polling")

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Delivery reports; providers that need ids are given the ones still pending."""
        raise UnsupportedError(f"{self.name} has no delivery report polling")

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookPayload:
        """Parse one push; raise `PayloadError` (or `SignatureError`) for anything not valid."""
        raise UnsupportedError(f"{self.name} does not push")

    # -- shared behaviour ---------------------------------------------------------------------

    def check_options(self, options: SendOptions) -> None:
        """Refuse an option this provider does not have, before anything is sent."""
        caps = self.capabilities
        unsupported = [
            name
            for name, used, supported in (
                ("send_at", options.send_at is not None, caps.schedule),
                ("flash", options.flash, caps.flash),
                ("unicode", options.unicode is not None, caps.unicode),
                ("channel", options.channel is not None, caps.channels),
                ("sender_id", options.sender_id is not None, caps.sender_id),
            )
            if used and not supported
        ]
        if unsupported:
            raise UnsupportedOptionError(
                f"{self.name} does not support {', '.join(unsupported)}",
                {"option": ", ".join(unsupported), "provider": self.name},
            )
        if options.send_at is not None:
            if options.send_at.tzinfo is None:
                raise InvalidOptionError(
                    "send_at needs a time zone", {"option": "send_at", "provider": self.name}
                )
            if options.send_at <= datetime.now(options.send_at.tzinfo):
                raise InvalidOptionError(
                    "send_at is in the past", {"option": "send_at", "provider": self.name}
                )

    def e164(self, number: str) -> str:
        """A user's number in international form, read by this provider's rule (`numbers.parse`)."""
        return to_e164(
            number, self.default_region, country_code_digits=self.capabilities.country_code_digits
        )

    def sender(self, value: str) -> str:
        """An inbound sender as the provider gave it, in E.164 when it is a phone number."""
        return sender_e164(
            value, self.default_region, country_code_digits=self.capabilities.country_code_digits
        )

    def billed(self, text: str, options: SendOptions) -> TextInfo:
        """Encoding and segments as this provider bills `text` (GSM 03.38 by default)."""
        return analyse(text)

    def check_text(self, text: str, options: SendOptions | None = None) -> TextInfo:
        """Refuse an empty or too long text; return its encoding and segments as billed."""
        if not text or not text.strip():
            raise EmptyMessageError("The message is empty", {"provider": self.name})
        if len(text) > self.capabilities.max_length:
            raise MessageTooLongError(
                f"The message has {len(text)} characters; {self.name} accepts "
                f"{self.capabilities.max_length}",
                {
                    "length": str(len(text)),
                    "max_length": str(self.capabilities.max_length),
                    "provider": self.name,
                },
            )
        return self.billed(text, options or SendOptions())

    def prepare(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> tuple[list[str], TextInfo]:
        """Validate a whole send before any request: provider-form numbers (deduplicated) and text."""
        if not numbers:
            raise NoRecipientsError("No recipient", {"provider": self.name})
        self.check_options(options)
        info = self.check_text(text, options)
        formatted: dict[str, str] = {}
        for number in numbers:
            # Raises InvalidNumberError naming the number the user wrote.
            formatted.setdefault(self.format_number(number), number)
        return list(formatted), info

    async def async_send(
        self, numbers: Sequence[str], text: str, options: SendOptions | None = None
    ) -> SendResult:
        """Send one text to many numbers in the fewest requests the provider allows.

        Everything is validated first (`ValidationError`, nothing sent). A request is never
        repeated: a failed batch marks its numbers rejected with the reason. If not a single number
        was accepted and every batch failed the same way (credentials, time-out ...), that error is
        raised instead, so the caller can start reauthentication or say "try later".
        """
        options = options or SendOptions()
        formatted, info = self.prepare(numbers, text, options)
        size = self.capabilities.max_recipients_per_request
        batches = [formatted[i : i + size] for i in range(0, len(formatted), size)]
        errors: list[GatewayError] = []
        outcome: list[list[RecipientResult]] = [[] for _ in batches]
        todo = iter(enumerate(batches))

        async def worker() -> None:
            # A few workers taking batches in turn, not a task per batch: a thousand one-number
            # requests started at once kept the event loop busy for hundreds of milliseconds.
            for index, batch in todo:
                try:
                    outcome[index] = await self._async_send_batch(batch, text, options)
                except GatewayError as err:
                    errors.append(err)
                    reason = err.reason or str(err)
                    outcome[index] = [
                        RecipientResult(number=n, accepted=False, reason=reason, code=err.code)
                        for n in batch
                    ]

        workers = min(self.capabilities.max_concurrent_requests, len(batches))
        await asyncio.gather(*(worker() for _ in range(workers)))
        results = tuple(r for batch_results in outcome for r in batch_results)
        if errors and len(errors) == len(batches) and not any(r.accepted for r in results):
            first = errors[0]
            if isinstance(first, (AuthError, TemporaryError, ProtocolError)) and all(
                type(e) is type(first) for e in errors
            ):
                raise first
        return SendResult(results=results, requests=len(batches), text=info)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw_query: str | None = None,
    ) -> HttpAnswer:
        """Make one bounded request to `url + path`.

        `raw_query` is appended as it stands, for providers that need a query encoded in something
        other than UTF-8. Time-outs (at any stage), connection errors, 429 and 5xx become
        `TemporaryError`; a body whose framing or encoding is broken becomes `ProtocolError`, and
        so does anything else the transport raises: nothing but a `GatewayError` (or a
        cancellation) leaves here. The message names the path only (credentials may be in it, so
        never the URL).
        """
        url = self._url + path
        if raw_query is not None:
            url = f"{url}?{raw_query}"
        where = path.split("/")[1] if path.count("/") else path
        # Outside the transport's boundary: a URL that cannot be parsed is the entry's mistake
        # (the config flow reports it), not an answer of the provider's.
        target = URL(url, encoded=raw_query is not None)
        for _hop in range(MAX_REDIRECTS + 1):
            # Counted before it goes out: a request that fails may still be billed.
            self.requests.counts[where] += 1
            answer = await self._request_once(
                method, target, where, params=params, data=data, json=json, headers=headers
            )
            location = _location(answer) if answer.status in _REDIRECTS else None
            following = _join(target, location)
            if following is None or not self._may_follow(target, following):
                # Not followed: the provider's client sees the redirect as an answer it does
                # not understand.
                break
            # The new location is the whole request (the query it names included).
            target, params = following, None
        else:
            raise ProtocolError(f"{self.name} redirected /{where} too many times")
        if answer.status == 429:
            raise TemporaryError(
                f"{self.name} asks to slow down (HTTP 429)",
                code="429",
                retry_after=_retry_after(answer.headers),
            )
        if answer.status >= 500:
            raise TemporaryError(
                f"{self.name} failed (HTTP {answer.status})", code=str(answer.status)
            )
        return answer

    def _may_follow(self, origin: URL, target: URL) -> bool:
        """Whether a redirect from `origin` to `target` is followed (no provider's is, by default).

        A redirect is never followed blindly: credentials travel in some providers' paths and
        queries, and the next host would receive them.
        """
        return False

    async def _request_once(
        self,
        method: str,
        target: URL,
        where: str,
        *,
        params: Mapping[str, str] | None,
        data: Any,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> HttpAnswer:
        """One HTTP exchange, its failures mapped to `GatewayError`s (see `_request`)."""
        try:
            async with self._session.request(
                method,
                target,
                params=params,
                data=data,
                json=json,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                body = await read_bounded(resp.content, MAX_RESPONSE_BYTES)
                status, response_headers = resp.status, dict(resp.headers)
        except TimeoutError:
            # Also a time-out while the body was still arriving, after the headers.
            raise TemporaryError(f"{self.name} did not answer in time (/{where})") from None
        except HttpProcessingError as err:
            # A broken framing of the body (chunk sizes, encodings, over-long lines): aiohttp's
            # pure-Python parser lets it out of `read` as it stands, not as a `ClientError`.
            raise ProtocolError(
                f"{self.name} answered /{where} with a malformed body: {type(err).__name__}"
            ) from None
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            # OSError: a connection reset or closed under a read, as the socket reported it.
            # RuntimeError: the session was closed under the request (Home Assistant stopping).
            raise TemporaryError(
                f"Cannot reach {self.name} (/{where}): {type(err).__name__}"
            ) from None
        except Exception as err:  # noqa: BLE001 - the transport boundary: nothing else leaves
            # Anything else out of the transport (a body that cannot be decoded ...) is an answer
            # we cannot use; only the type is named, as messages of these may carry the URL.
            # CancelledError is not an Exception: a cancelled request stays cancelled.
            raise ProtocolError(
                f"{self.name} answered /{where} with a body that cannot be read: "
                f"{type(err).__name__}"
            ) from None
        if body is None:
            raise ProtocolError(f"{self.name} answered /{where} with an oversized body")
        return HttpAnswer(status, body, response_headers)


def is_currency(unit: str | None) -> bool:
    """An ISO 4217 code ("MXN", "USD"): it reads the same in every language."""
    return unit is not None and len(unit) == 3 and unit.isalpha() and unit.isupper()


class Readable(Protocol):
    """A body being received: aiohttp's StreamReader, or Home Assistant Cloud's stand-in."""

    async def read(self, n: int = -1, /) -> bytes:
        """Up to `n` bytes of what has arrived (empty at the end)."""


async def read_bounded(stream: Readable, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes (no more is ever buffered).

    `read(n)` returns what has arrived so far, not n bytes: a long answer comes in many chunks.
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None
    return b"".join(chunks)


def _location(answer: HttpAnswer) -> str | None:
    return next((v for k, v in answer.headers.items() if k.lower() == "location"), None)


def _join(origin: URL, location: str | None) -> URL | None:
    """Where a redirect points, or None when it points nowhere usable."""
    if not location:
        return None
    try:
        target = origin.join(URL(location.strip()))
    except ValueError:
        return None
    return target if target.scheme in ("http", "https") and target.host else None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
