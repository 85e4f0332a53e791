"""Define the interface every gateway implements, and the checks and batching they share.

Nothing here imports Home Assistant: the `gateways` package could be published as a library. The
Home Assistant side only ever talks to `Gateway`, so it never branches on the provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Unpack

import aiohttp
from yarl import URL

from .exceptions import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    NoRecipientsError,
    ProtocolError,
    TemporaryError,
    UnsupportedError,
    UnsupportedOptionError,
)
from .models import (
    AccountInfo,
    Balance,
    Capabilities,
    DeliveryReport,
    InboundMessage,
    RecipientResult,
    SendOptions,
    SendResult,
    WebhookPayload,
)
from .numbers import sender_e164, to_e164
from .text import TextInfo, analyse
from .transport import DEFAULT_TIMEOUT, HttpAnswer, RequestOptions, Transport


class Gateway(ABC):
    """Call one provider's API.

    `credentials` holds the config entry's fields (SPEC.md names). Every request goes through
    `_request`, which bounds it with `timeout` and turns transport failures into `TemporaryError`
    without ever showing a URL (several providers put credentials in the path or query).
    """

    key: ClassVar[str]
    name: ClassVar[str]
    default_url: ClassVar[str]
    capabilities: ClassVar[Capabilities]

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
        self._credentials = dict(credentials)
        self._url = (url or self.default_url).rstrip("/")
        self.default_region = default_region or self.capabilities.default_region
        self._transport = Transport(
            session, self._url, name=self.name, timeout=timeout, may_follow=self._may_follow
        )
        self.requests = self._transport.requests

    @property
    def url(self) -> str:
        """Return the API root in use."""
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
        """Return the remaining credit."""
        raise UnsupportedError(f"{self.name} reports no balance")

    async def async_poll_inbound(self, since: datetime | None) -> list[InboundMessage]:
        """Return messages received since `since` (ignored by a provider that forgets them)."""
        raise UnsupportedError(f"{self.name} has no inbound polling")

    async def async_poll_reports(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Return delivery reports; providers that need ids are given the ones still pending."""
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
        """Return a user's number in E.164, read by this provider's rule (`numbers.parse`)."""
        return to_e164(
            number, self.default_region, country_code_digits=self.capabilities.country_code_digits
        )

    def sender(self, value: str) -> str:
        """Return an inbound sender as the provider gave it, in E.164 when it is a phone number."""
        return sender_e164(
            value, self.default_region, country_code_digits=self.capabilities.country_code_digits
        )

    def billed(self, text: str, options: SendOptions) -> TextInfo:
        """Return encoding and segments as this provider bills `text` (GSM 03.38 by default)."""
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
        """Validate a whole send before any request: provider-form numbers (no repeats) and text."""
        if not numbers:
            raise NoRecipientsError("No recipient", {"provider": self.name})
        self.check_options(options)
        info = self.check_text(text, options)
        return list(self.numbers(numbers)), info

    def numbers(self, numbers: Iterable[str]) -> dict[str, str | None]:
        """Map the numbers a user wrote from the provider's form to international form.

        The one place a user's number is read: sending, the response and saved contacts all use
        it. The same number written twice (or two ways) is one key. Raise `InvalidNumberError`
        naming the first number the provider cannot take; the international form is None where
        the provider takes a form that is not a valid number (EnvioSMS's "+52 1 …").
        """
        mapped: dict[str, str | None] = {}
        for number in numbers:
            provider_form = self.format_number(number)
            if provider_form in mapped:
                continue
            try:
                mapped[provider_form] = self.e164(number)
            except InvalidNumberError:
                mapped[provider_form] = None
        return mapped

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
        self, method: str, path: str, **options: Unpack[RequestOptions]
    ) -> HttpAnswer:
        """Make one bounded request to `url + path` (see `Transport.request`)."""
        return await self._transport.request(method, path, **options)

    def _may_follow(self, origin: URL, target: URL) -> bool:
        """Tell whether a redirect from `origin` to `target` is followed (by default none is).

        A redirect is never followed blindly: credentials travel in some providers' paths and
        queries, and the next host would receive them.
        """
        return False
