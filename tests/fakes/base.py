"""What every provider fake shares: recorded requests, fault switches, an aiohttp app.

A fake speaks its provider's documented wire format exactly; these pieces only decide *whether* it
answers normally. The same fakes serve the tests, the simulator (`python -m tests.fakes`) and the
benchmarks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
import random
from typing import Any, ClassVar

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Fault(StrEnum):
    """How a fake misbehaves."""

    NONE = "none"
    HTTP_500 = "http_500"
    HANG = "hang"
    MALFORMED = "malformed"
    DROP = "drop"
    AUTH = "auth"
    # Answer with the provider's own documented error code held in `FakeState.error_code`.
    CODE = "code"


@dataclass
class SentMessage:
    """One message a fake accepted, per number (`number` in the provider's form)."""

    number: str
    text: str
    message_id: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeState:
    """Switches and memory of one fake."""

    fault: Fault = Fault.NONE
    # How many requests the fault applies to before it clears itself (None: until changed).
    fault_count: int | None = None
    # Only requests whose path ends with this are affected (None: all).
    fault_path: str | None = None
    error_code: str | None = None
    hang_seconds: float = 3600.0
    # A network's round trip, added to every answer: `delay` ± `jitter` seconds (uniform).
    delay: float = 0.0
    jitter: float = 0.0
    requests: list[RecordedRequest] = field(default_factory=list)

    def round_trip(self) -> float:
        """This request's added delay."""
        if self.delay <= 0:
            return 0.0
        return max(0.0, self.delay + random.uniform(-self.jitter, self.jitter))

    def take_fault(self, path: str) -> Fault:
        """The fault that applies to this request, counting it down."""
        if self.fault is Fault.NONE:
            return Fault.NONE
        if self.fault_path is not None and not path.endswith(self.fault_path):
            return Fault.NONE
        fault = self.fault
        if self.fault_count is not None:
            self.fault_count -= 1
            if self.fault_count <= 0:
                self.fault, self.fault_count = Fault.NONE, None
        return fault


class FakeProvider(ABC):
    """One provider's fake API, mounted under a prefix of one aiohttp app."""

    key: ClassVar[str]
    # As the simulator's page shows it.
    name: ClassVar[str]

    def __init__(self) -> None:
        """Start with no faults and nothing recorded."""
        self.state = FakeState()

    @property
    def credentials(self) -> dict[str, str]:
        """Config entry fields (SPEC names) that this fake accepts."""
        return {}

    @abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The provider's documented endpoints, paths relative to the API root."""

    @abstractmethod
    def malformed_body(self) -> web.Response:
        """An answer this provider's client cannot understand."""

    @abstractmethod
    def auth_failure(self, request: web.Request) -> web.Response:
        """The provider's documented answer to rejected credentials."""

    @abstractmethod
    def error_response(self, request: web.Request, code: str) -> web.Response:
        """The provider's documented answer carrying error `code`."""

    def snapshot(self) -> dict[str, Any]:
        """What the simulator page shows of this fake (sent messages, queues, balance)."""
        return {}

    def set_fault(
        self,
        fault: Fault,
        *,
        count: int | None = None,
        path: str | None = None,
        code: str | None = None,
    ) -> None:
        """Misbehave from now on (for `count` requests, on `path` only, with `code`)."""
        self.state.fault, self.state.fault_count = fault, count
        self.state.fault_path, self.state.error_code = path, code

    def app(self) -> web.Application:
        """A stand-alone app serving this provider at its root."""
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        app.add_routes(self.routes())
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        self.state.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                dict(request.query),
                body,
                dict(request.headers),
            )
        )
        if wait := self.state.round_trip():
            await asyncio.sleep(wait)
        fault = self.state.take_fault(request.path)
        if fault is Fault.HTTP_500:
            return web.Response(status=500, text="Internal Server Error")
        if fault is Fault.HANG:
            await asyncio.sleep(self.state.hang_seconds)
        if fault is Fault.DROP:
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError
        if fault is Fault.MALFORMED:
            return self.malformed_body()
        if fault is Fault.AUTH:
            return self.auth_failure(request)
        if fault is Fault.CODE and self.state.error_code is not None:
            return self.error_response(request, self.state.error_code)
        return await handler(request)


def build_app(fakes: list[FakeProvider]) -> web.Application:
    """One app with each fake under `/<key>` (the simulator and end-to-end tests use this)."""
    root = web.Application(client_max_size=8 * 1024 * 1024)
    for fake in fakes:
        root.add_subapp(f"/{fake.key}", fake.app())
    return root
