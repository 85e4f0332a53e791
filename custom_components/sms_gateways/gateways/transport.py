"""Make the bounded HTTP exchange every gateway's requests go through.

Time-outs, connection failures, 429 and 5xx become `TemporaryError`; a body that cannot be read
becomes `ProtocolError`; redirects are followed only where the gateway allows. No message ever
carries the URL: several providers put credentials in the path or query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import time
from typing import Any, Protocol, TypedDict, Unpack

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from .exceptions import ProtocolError, TemporaryError

DEFAULT_TIMEOUT = 15.0
# Redirects followed at most, where a provider allows them at all (`Gateway._may_follow`).
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A body larger than this is not an answer any of these APIs gives; refuse to buffer it.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


@dataclass(slots=True)
class HttpAnswer:
    """Hold a provider's answer: status, headers and the raw body."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RequestCounter:
    """Count the HTTP requests a gateway made since `started` (`time.monotonic()`), by endpoint.

    The endpoint is the path's first segment, never the path: credentials travel in some paths.
    """

    started: float
    counts: Counter[str] = field(default_factory=Counter)


class RequestOptions(TypedDict, total=False):
    """Describe what a request may carry besides its method and path (aiohttp's meaning of each).

    `raw_query` is appended as it stands, for providers that need a query encoded in something
    other than UTF-8.
    """

    params: Mapping[str, str] | None
    data: Any
    json: Any
    headers: Mapping[str, str] | None
    raw_query: str | None


class Readable(Protocol):
    """Describe a body being received.

    It is aiohttp's StreamReader, or Home Assistant Cloud's stand-in.
    """

    async def read(self, n: int = -1, /) -> bytes:
        """Return up to `n` bytes of what has arrived (empty at the end)."""


async def read_bounded(stream: Readable, limit: int) -> bytes | None:
    """Return the whole body, or None once it passes `limit` bytes (no more is ever buffered).

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


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Return the value of header `name` (lower case), whatever case the server wrote it in."""
    return next((v for k, v in headers.items() if k.lower() == name), None)


class Transport:
    """Send one gateway's requests to its API root, each bounded and counted.

    `may_follow(origin, target)` decides whether a redirect is followed; `name` (the provider's)
    is the only thing messages say about where a request went, besides the path's first segment.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        name: str,
        timeout: float = DEFAULT_TIMEOUT,
        may_follow: Callable[[URL, URL], bool] | None = None,
    ) -> None:
        """Keep the caller's session and the API root (`url`, without a trailing slash)."""
        self._session = session
        self._url = url
        self._name = name
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._may_follow = may_follow or _never
        self.requests = RequestCounter(time.monotonic())

    async def request(
        self, method: str, path: str, **options: Unpack[RequestOptions]
    ) -> HttpAnswer:
        """Make one bounded request to `url + path`.

        Time-outs (at any stage), connection errors, 429 and 5xx become `TemporaryError`; a body
        whose framing or encoding is broken becomes `ProtocolError`, and so does anything else the
        transport raises: nothing but a `GatewayError` (or a cancellation) leaves here. The
        message names the path only (credentials may be in it, so never the URL).
        """
        params = options.get("params")
        raw_query = options.get("raw_query")
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
            answer = await self._exchange(
                method,
                target,
                where,
                params=params,
                data=options.get("data"),
                json=options.get("json"),
                headers=options.get("headers"),
            )
            location = header(answer.headers, "location") if answer.status in _REDIRECTS else None
            following = _join(target, location)
            if following is None or not self._may_follow(target, following):
                # Not followed: the provider's client sees the redirect as an answer it does
                # not understand.
                break
            # The new location is the whole request (the query it names included).
            target, params = following, None
        else:
            raise ProtocolError(f"{self._name} redirected /{where} too many times")
        if answer.status == 429:
            raise TemporaryError(
                f"{self._name} asks to slow down (HTTP 429)",
                code="429",
                retry_after=_retry_after(answer.headers),
            )
        if answer.status >= 500:
            raise TemporaryError(
                f"{self._name} failed (HTTP {answer.status})", code=str(answer.status)
            )
        return answer

    async def _exchange(
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
        """Make one HTTP exchange, its failures mapped to `GatewayError`s (see `request`)."""
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
            raise TemporaryError(f"{self._name} did not answer in time (/{where})") from None
        except HttpProcessingError as err:
            # A broken framing of the body (chunk sizes, encodings, over-long lines): aiohttp's
            # pure-Python parser lets it out of `read` as it stands, not as a `ClientError`.
            raise ProtocolError(
                f"{self._name} answered /{where} with a malformed body: {type(err).__name__}"
            ) from None
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            # OSError: a connection reset or closed under a read, as the socket reported it.
            # RuntimeError: the session was closed under the request (Home Assistant stopping).
            raise TemporaryError(
                f"Cannot reach {self._name} (/{where}): {type(err).__name__}"
            ) from None
        except Exception as err:  # noqa: BLE001 - the transport boundary: nothing else leaves
            # Anything else out of the transport (a body that cannot be decoded ...) is an answer
            # we cannot use; only the type is named, as messages of these may carry the URL.
            # CancelledError is not an Exception: a cancelled request stays cancelled.
            raise ProtocolError(
                f"{self._name} answered /{where} with a body that cannot be read: "
                f"{type(err).__name__}"
            ) from None
        if body is None:
            raise ProtocolError(f"{self._name} answered /{where} with an oversized body")
        return HttpAnswer(status, body, response_headers)


def _never(origin: URL, target: URL) -> bool:
    """Follow no redirect: credentials travel in some paths and queries."""
    return False


def _join(origin: URL, location: str | None) -> URL | None:
    """Return where a redirect points, or None when it points nowhere usable."""
    if not location:
        return None
    try:
        target = origin.join(URL(location.strip()))
    except ValueError:
        return None
    return target if target.scheme in ("http", "https") and target.host else None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the seconds a 429's `Retry-After` asks for, if it gives a number."""
    value = header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
