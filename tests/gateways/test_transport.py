"""The bounded HTTP exchange: time-outs, 429, 5xx, the body bound; every failure a GatewayError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import json
from typing import Any

import aiohttp
from aiohttp import client_proto, http_exceptions, http_parser, web
import pytest

from custom_components.sms_gateways.gateways import transport
from custom_components.sms_gateways.gateways.exceptions import (
    GatewayError,
    ProtocolError,
    TemporaryError,
)
from custom_components.sms_gateways.gateways.transport import Readable
from tests.fakes.base import Fault
from tests.gateways.echo import NUMBERS, EchoFake, EchoGateway


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
