"""The shared send logic: validation first, batching, one request per batch, error aggregation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
import json
from typing import Any, ClassVar

import aiohttp
from aiohttp import client_proto, http_exceptions, http_parser, web
import pytest

from custom_components.sms_gateways.gateways import transport
from custom_components.sms_gateways.gateways.client import Gateway
from custom_components.sms_gateways.gateways.exceptions import (
    AuthError,
    EmptyMessageError,
    GatewayError,
    InvalidNumberError,
    InvalidOptionError,
    MessageTooLongError,
    NoRecipientsError,
    ProtocolError,
    TemporaryError,
    UnsupportedOptionError,
)
from custom_components.sms_gateways.gateways.models import (
    AccountInfo,
    Capabilities,
    RecipientResult,
    SendOptions,
)
from custom_components.sms_gateways.gateways.numbers import to_e164
from custom_components.sms_gateways.gateways.transport import Readable
from tests.fakes.base import FakeProvider, Fault


class EchoFake(FakeProvider):
    """Accepts every number except those ending in 0; answers 401 for the key "bad"."""

    key = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    @property
    def credentials(self) -> dict[str, str]:
        return {"api_key": "good"}

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/send", self._send)]

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if request.headers.get("key") == "bad":
            return web.Response(status=401)
        self.batches.append(body["to"])
        return web.json_response(
            [{"to": n, "ok": not n.endswith("0"), "id": f"id-{n}"} for n in body["to"]]
        )

    def malformed_body(self) -> web.Response:
        return web.Response(text="<html>")

    def auth_failure(self, request: web.Request) -> web.Response:
        return web.Response(status=401)

    def error_response(self, request: web.Request, code: str) -> web.Response:
        return web.Response(status=int(code))


class EchoGateway(Gateway):
    """A minimal provider: 3 numbers a request, two requests at once."""

    key = "echo"
    name = "Echo"
    model = "test"
    default_url = "http://127.0.0.1:9"
    capabilities = Capabilities(
        max_length=20, max_recipients_per_request=3, max_concurrent_requests=2, flash=True
    )
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    fields: ClassVar[tuple[str, ...]] = ("api_key",)

    async def async_validate(self) -> AccountInfo:
        return AccountInfo("a", "a")

    def format_number(self, number: str) -> str:
        return to_e164(number, "MX")

    async def _async_send_batch(
        self, numbers: Sequence[str], text: str, options: SendOptions
    ) -> list[RecipientResult]:
        answer = await self._request(
            "POST",
            "/send",
            json={"to": list(numbers)},
            headers={"key": self._credentials["api_key"]},
        )
        if answer.status == 401:
            raise AuthError("rejected", code="401")
        try:
            items: list[dict[str, Any]] = json.loads(answer.body)
        except ValueError:
            raise ProtocolError("not JSON") from None
        return [
            RecipientResult(
                i["to"], i["ok"], i["id"] if i["ok"] else None, None if i["ok"] else "no"
            )
            for i in items
        ]


NUMBERS = [f"+52551234567{i}" for i in range(8)]


@pytest.fixture
async def echo(serve: Any, session: aiohttp.ClientSession) -> tuple[EchoFake, EchoGateway]:
    fake = EchoFake()
    url = await serve(fake)
    return fake, EchoGateway(session, {"api_key": "good"}, url=url, timeout=0.3)


async def test_batches_and_per_recipient_results(echo: tuple[EchoFake, EchoGateway]) -> None:
    fake, gateway = echo
    result = await gateway.async_send([*NUMBERS, NUMBERS[1]], "hola")
    # 8 distinct numbers (the repeat is sent once) in batches of at most 3.
    assert sorted(len(b) for b in fake.batches) == [2, 3, 3]
    assert result.requests == 3
    assert [r.number for r in result.results] == NUMBERS
    assert [r.number for r in result.rejected] == [NUMBERS[0]]
    assert result.accepted[0].message_id == f"id-{NUMBERS[1]}"
    assert result.text.segments == 1


@pytest.mark.parametrize(
    ("numbers", "text", "options", "error"),
    [
        ([], "hola", SendOptions(), NoRecipientsError),
        (NUMBERS, "   ", SendOptions(), EmptyMessageError),
        (NUMBERS, "x" * 21, SendOptions(), MessageTooLongError),
        ([*NUMBERS, "12"], "hola", SendOptions(), InvalidNumberError),
        (NUMBERS, "hola", SendOptions(sender_id="HOME"), UnsupportedOptionError),
        (
            NUMBERS,
            "hola",
            SendOptions(send_at=datetime.now(UTC) - timedelta(minutes=1)),
            UnsupportedOptionError,
        ),
    ],
)
async def test_nothing_sent_on_bad_input(
    echo: tuple[EchoFake, EchoGateway],
    numbers: list[str],
    text: str,
    options: SendOptions,
    error: type[Exception],
) -> None:
    fake, gateway = echo
    with pytest.raises(error):
        await gateway.async_send(numbers, text, options)
    assert fake.state.requests == []


async def test_send_at_must_be_future_and_aware(session: aiohttp.ClientSession) -> None:
    class Scheduling(EchoGateway):
        capabilities = Capabilities(max_length=20, max_recipients_per_request=3, schedule=True)

    gateway = Scheduling(session, {"api_key": "good"})
    with pytest.raises(InvalidOptionError):
        gateway.check_options(SendOptions(send_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(InvalidOptionError):
        gateway.check_options(SendOptions(send_at=datetime(2999, 1, 1)))  # noqa: DTZ001
    gateway.check_options(SendOptions(send_at=datetime.now(UTC) + timedelta(minutes=5)))


async def test_all_batches_rejected_credentials_raise(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    fake = EchoFake()
    gateway = EchoGateway(session, {"api_key": "bad"}, url=await serve(fake))
    with pytest.raises(AuthError):
        await gateway.async_send(NUMBERS, "hola")


async def test_a_failed_batch_is_reported_not_retried(echo: tuple[EchoFake, EchoGateway]) -> None:
    fake, gateway = echo
    fake.set_fault(Fault.HTTP_500, count=1)
    result = await gateway.async_send(NUMBERS, "hola")
    # One batch of three failed; it was not sent again, the others went through.
    assert len(fake.state.requests) == 3
    failed = [r for r in result.rejected if r.code == "500"]
    assert len(failed) == 3
    assert all("HTTP 500" in (r.reason or "") for r in failed)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_500, TemporaryError),
        (Fault.HANG, TemporaryError),
        (Fault.DROP, TemporaryError),
        (Fault.MALFORMED, ProtocolError),
    ],
)
async def test_transport_failures(
    echo: tuple[EchoFake, EchoGateway], fault: Fault, error: type[Exception]
) -> None:
    fake, gateway = echo
    fake.set_fault(fault)
    with pytest.raises(error) as err:
        await gateway.async_send(NUMBERS[:2], "hola")
    assert "good" not in str(err.value)
    assert "127.0.0.1" not in str(err.value)


async def test_429_carries_retry_after(echo: tuple[EchoFake, EchoGateway]) -> None:
    fake, gateway = echo

    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "30"})

    fake.error_response = lambda request, code: web.Response(
        status=429, headers={"Retry-After": "30"}
    )
    fake.set_fault(Fault.CODE, code="429")
    with pytest.raises(TemporaryError) as err:
        await gateway.async_send(NUMBERS[:1], "hola")
    assert err.value.retry_after == 30.0


async def test_unreachable_host(session: aiohttp.ClientSession) -> None:
    gateway = EchoGateway(session, {"api_key": "good"}, url="http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(TemporaryError):
        await gateway.async_send(NUMBERS[:1], "hola")


class ChunkedEchoFake(EchoFake):
    """Answers like EchoFake, padded to `size` bytes and written in small pieces over time."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        answer = json.dumps([{"to": n, "ok": True, "id": f"id-{n}"} for n in body["to"]])
        # Padded in front (JSON allows leading whitespace): a cut-off read loses the answer.
        data = answer.encode().rjust(self.size)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for start in range(0, len(data), 16 * 1024):
            await response.write(data[start : start + 16 * 1024])
            await asyncio.sleep(0.002)  # the client reads what has come so far
        await response.write_eof()
        return response


@pytest.mark.parametrize("size", [100, 600 * 1024, 2 * 1024 * 1024])
async def test_long_answers_in_many_pieces_are_read_whole(
    serve: Any, session: aiohttp.ClientSession, size: int
) -> None:
    """A poll with thousands of messages arrives in pieces: all of it counts, up to 2 MiB."""
    url = await serve(ChunkedEchoFake(size))
    gateway = EchoGateway(session, {"api_key": "good"}, url=url, timeout=5)
    result = await gateway.async_send(NUMBERS[:3], "hola")
    assert [r.message_id for r in result.accepted] == [f"id-{n}" for n in NUMBERS[:3]]


async def test_oversized_answer_is_refused(serve: Any, session: aiohttp.ClientSession) -> None:
    url = await serve(ChunkedEchoFake(2 * 1024 * 1024 + 1))
    gateway = EchoGateway(session, {"api_key": "good"}, url=url, timeout=5)
    with pytest.raises(ProtocolError, match="oversized") as err:
        await gateway.async_send(NUMBERS[:1], "hola")
    assert "127.0.0.1" not in str(err.value)


# -- every transport failure is a GatewayError, whatever aiohttp raised ---------------------------

SECRET_ROOT = "/k-s3cr3t"
HEAD_200 = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
CUT = b"<cut>"  # close the connection here
STALL = b"<stall>"  # send nothing more until the client hangs up
RawServe = Callable[[Sequence[bytes]], Awaitable[str]]


@pytest.fixture
async def raw_serve(socket_enabled: None) -> AsyncIterator[RawServe]:
    """A loopback server that answers every request with the given bytes, piece by piece.

    Lower than the fakes on purpose: framing faults (a cut, a stall, a broken chunk) are below
    what an aiohttp server lets a handler write.
    """
    servers: list[asyncio.Server] = []

    async def _serve(pieces: Sequence[bytes]) -> str:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                for piece in pieces:
                    if piece is CUT:
                        break
                    if piece is STALL:
                        await reader.read()  # returns once the client has closed
                        break
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)  # the client reads the headers on their own
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{SECRET_ROOT}"

    yield _serve
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture(params=["c", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """aiohttp's C response parser, and the pure-Python one it falls back to without it.

    The Python parser is what aiohttp runs where its extension is not built (AIOHTTP_NO_EXTENSIONS,
    PyPy, new CPython builds before wheels exist); it raises some faults differently.
    """
    if request.param == "python":
        monkeypatch.setattr(client_proto, "HttpResponseParser", http_parser.HttpResponseParserPy)
    return str(request.param)


def assert_no_url(err: BaseException) -> None:
    text = str(err)
    for secret in ("127.0.0.1", "s3cr3t", "good", "http"):
        assert secret not in text


@pytest.mark.parametrize(
    ("pieces", "error"),
    [
        # Headers, then the connection closes with 95 of 100 bytes still owed.
        pytest.param(
            [HEAD_200 + b"Content-Length: 100\r\n\r\n", b"[1, 2", CUT],
            TemporaryError,
            id="cut_mid_body",
        ),
        # Headers, then nothing: the time-out strikes while the body is read.
        pytest.param(
            [HEAD_200 + b"Content-Length: 100\r\n\r\n", b"[1, 2", STALL],
            TemporaryError,
            id="stall_mid_body",
        ),
        pytest.param(
            [HEAD_200 + b"Content-Length: 100\r\n\r\n", STALL],
            TemporaryError,
            id="stall_after_headers",
        ),
        # A chunked body whose second chunk size is not hexadecimal.
        pytest.param(
            [
                HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n",
                b"2\r\n[]\r\n",
                b"zz\r\n[]\r\n0\r\n\r\n",
                STALL,
            ],
            GatewayError,
            id="malformed_chunk",
        ),
        pytest.param(
            [HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n", b"zz\r\n[]\r\n0\r\n\r\n", STALL],
            GatewayError,
            id="malformed_first_chunk",
        ),
        pytest.param(
            [HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n", b"10\r\n[1", CUT],
            TemporaryError,
            id="cut_mid_chunk",
        ),
        # Says gzip, is not.
        pytest.param(
            [
                HEAD_200 + b"Content-Encoding: gzip\r\nContent-Length: 20\r\n\r\n",
                b"not gzip!!",
                b"not gzip!!",
                STALL,
            ],
            GatewayError,
            id="bad_gzip",
        ),
        pytest.param(
            [b"HTTP/1.1 200 OK\r\nX: " + b"a" * 20000 + b"\r\n\r\n", STALL],
            GatewayError,
            id="header_too_long",
        ),
        pytest.param([b"HTTP/1.1 abc\r\n\r\n", STALL], GatewayError, id="bad_status_line"),
        pytest.param([CUT], TemporaryError, id="closed_before_headers"),
    ],
)
async def test_broken_transfers_become_gateway_errors(
    raw_serve: RawServe,
    session: aiohttp.ClientSession,
    parser: str,
    pieces: list[bytes],
    error: type[GatewayError],
) -> None:
    gateway = EchoGateway(session, {"api_key": "good"}, url=await raw_serve(pieces), timeout=0.3)
    with pytest.raises(error) as err:
        await gateway._request("POST", "/send", json={"to": []}, headers={"key": "good"})
    assert_no_url(err.value)
    # Batches fail the same way through the public API.
    with pytest.raises(error):
        await gateway.async_send(NUMBERS[:1], "hola")


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (ConnectionResetError(104, "reset by http://127.0.0.1/k-s3cr3t"), TemporaryError),
        (OSError("network down at http://127.0.0.1/k-s3cr3t"), TemporaryError),
        (TimeoutError(), TemporaryError),
        (aiohttp.ClientPayloadError("http://127.0.0.1/k-s3cr3t"), TemporaryError),
        (aiohttp.ServerDisconnectedError("http://127.0.0.1/k-s3cr3t"), TemporaryError),
        (
            http_exceptions.TransferEncodingError("bad chunk http://127.0.0.1/k-s3cr3t"),
            ProtocolError,
        ),
        (http_exceptions.ContentEncodingError("bad gzip http://127.0.0.1/k-s3cr3t"), ProtocolError),
        (http_exceptions.LineTooLong("http://127.0.0.1/k-s3cr3t", "8190"), ProtocolError),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "http://127.0.0.1/k-s3cr3t"), ProtocolError),
        (ValueError("http://127.0.0.1/k-s3cr3t"), ProtocolError),
        (RuntimeError("http://127.0.0.1/k-s3cr3t"), TemporaryError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)
async def test_whatever_reading_the_body_raises_is_a_gateway_error(
    echo: tuple[EchoFake, EchoGateway],
    monkeypatch: pytest.MonkeyPatch,
    exc: Exception,
    error: type[GatewayError],
) -> None:
    async def failing(stream: Readable, limit: int) -> bytes | None:
        raise exc

    monkeypatch.setattr(transport, "read_bounded", failing)
    _, gateway = echo
    with pytest.raises(error) as err:
        await gateway.async_send(NUMBERS[:1], "hola")
    assert_no_url(err.value)
    assert err.value.__suppress_context__


async def test_a_cancelled_request_stays_cancelled(
    raw_serve: RawServe, session: aiohttp.ClientSession
) -> None:
    url = await raw_serve([HEAD_200 + b"Content-Length: 100\r\n\r\n", b"[1", STALL])
    gateway = EchoGateway(session, {"api_key": "good"}, url=url, timeout=30)
    reading = asyncio.Event()
    original = transport.read_bounded

    async def observed(stream: Readable, limit: int) -> bytes | None:
        reading.set()
        return await original(stream, limit)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transport, "read_bounded", observed)
        task = asyncio.ensure_future(gateway._request("POST", "/send", json={}))
        await reading.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
