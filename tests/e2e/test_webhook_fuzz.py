"""Fuzz the webhook of a real Home Assistant, bounded in count (a few hundred pushes) and time.

Two pushing entries (Itniotech, unsigned; SMSMobileAPI, signed with its `webhook_secret`), polling
off so only pushes count. A seeded `random.Random` builds: random bytes, bad UTF-8, JSON with lone
surrogates and NUL, deep nesting, huge numbers, wrong types and missing fields, very long ids, an
over-size body, chunked and slow bodies, and SMSMobileAPI's signature edge cases, with valid pushes
interleaved. Every push text carries a unique marker, so each event is traced to its request.

Asserted: no answer is 500 (only 200/400/401/405/408/413/503); refused bodies fire nothing; each
distinct valid message fires exactly once; the log holds no traceback nor ERROR of ours and never
the webhook id (GET and PUT included); each inbox file stays under `STORAGE_BOUND`; after a clean
restart nothing fires again. The status histogram per case is printed.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import json
from pathlib import Path
import random
import re
import time
from typing import Any, Literal

import aiohttp
import pytest

from custom_components.sms_gateways.ledger import STORAGE_BOUND
from tests.e2e.conftest import Processes
from tests.e2e.rest import CREDENTIALS, EventStream, HomeAssistantApi
from tests.fakes.itniotech import inbound_push_body
from tests.fakes.smsmobileapi import legacy_push_body, signature_headers

pytestmark = pytest.mark.e2e

SEED = 20250607
ALLOWED = frozenset({200, 400, 401, 405, 408, 413, 503})
REFUSED = frozenset({400, 401, 413})
SECRET = CREDENTIALS["smsmobileapi"]["webhook_secret"]
EVENT = "sms_gateways_message_received"
PROVIDERS = ("itniotech", "smsmobileapi")
# The fields of each provider's documented inbound push, and which of them holds the text.
FIELDS = {
    "itniotech": ("msgid", "mobile", "reply_time", "content", "sendid"),
    "smsmobileapi": ("date", "hour", "time_received", "message", "number", "guid"),
}
TEXT_FIELD = {"itniotech": "content", "smsmobileapi": "message"}
MARKER = re.compile(r"fz\d{4}x")
BIG_INT = "1" + "0" * 5000  # 10**5000: past Python's int-from-text limit
CONCURRENCY = 8
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

Verdict = Literal["valid", "maybe", "refused"]


@dataclass
class Push:
    """One request to a webhook, and what may come of it."""

    case: str
    provider: str
    body: bytes
    verdict: Verdict
    marker: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # "chunked": no Content-Length; "slow": half, a 2 s pause, the rest.
    mode: Literal["plain", "chunked", "slow"] = "plain"
    statuses: frozenset[int] = REFUSED
    # False when the id might repeat another push's (a dedupe then rightly fires nothing).
    exact: bool = True
    # The event's `message` must be exactly this (the lone-surrogate case).
    message: str | None = None
    answers: list[int | str] = field(default_factory=list)


class Raw:
    """A JSON token written as is (json.dumps cannot write 1e400 or 10**5000)."""

    def __init__(self, token: str) -> None:
        """`token` goes into the body verbatim."""
        self.token = token


def dumps(data: Any) -> bytes:
    """JSON with `Raw` tokens and `\\ud800`-style escapes for lone surrogates (ensure_ascii)."""
    raws: list[str] = []

    def default(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.token)
            return f"@@raw{len(raws) - 1}@@"
        raise TypeError(type(value).__name__)

    text = json.dumps(data, default=default, ensure_ascii=True)
    for index, token in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', token)
    return text.encode()


class Fuzzer:
    """Builds the pushes from a seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        """Draw everything from `rng`."""
        self.rng = rng
        self.count = 0
        self.pushes: list[Push] = []

    def marker(self) -> str:
        self.count += 1
        return f"fz{self.count:04d}x"

    def base(self, provider: str, text: str) -> dict[str, Any]:
        """A documented valid inbound push carrying `text`."""
        # The fakes write UTF-8: built with the text made encodable, then given the real one.
        safe = text.encode("utf-8", "replace").decode()
        if provider == "itniotech":
            data = dict(json.loads(inbound_push_body("+918563214199", safe)))
        else:
            data = dict(json.loads(legacy_push_body("+15559876543", safe)))
        data[TEXT_FIELD[provider]] = text
        return data

    def add(self, push: Push, *, sign: bool = True) -> Push:
        if push.provider == "smsmobileapi" and sign and not push.headers:
            push.headers = signature_headers(push.body, SECRET, int(time.time()))
        self.pushes.append(push)
        return push

    def valid(self, provider: str, case: str = "valid", **kwargs: Any) -> Push:
        marker = self.marker()
        body = dumps(self.base(provider, f"Valid {marker} {self.rng.randrange(10**6)}"))
        return self.add(
            Push(case, provider, body, "valid", marker, statuses=frozenset({200}), **kwargs)
        )

    def value(self, marker: str, *, text: bool) -> Any:
        """A random replacement for a field; strings always carry the push's marker."""
        rng = self.rng
        choice = rng.randrange(16)
        if choice == 0:
            return None
        if choice == 1:
            return rng.choice([True, False, 0, -1, 2**63, 3.5, -0.0])
        if choice == 2:
            return Raw(rng.choice(["1e400", "-1e400", BIG_INT, "-" + BIG_INT, "1e-400"]))
        if choice == 3:
            return rng.choice([[], {}, [marker], {"text": marker}, [[[[marker]]]]])
        if choice == 4:
            return f"{marker} \ud800 lone"
        if choice == 5:
            return f"{marker} \udfff\ud800 reversed"
        if choice == 6:
            return f"{marker}\x00nul"
        if choice == 7:
            return marker + "é" * rng.randrange(1, 3000)
        if choice == 8:
            return marker + "".join(chr(rng.randrange(1, 0x2FFFF)) for _ in range(40))
        if choice == 9:
            return f" {marker}\u202e\u200b\r\n\t"
        if choice == 10:
            return Raw(f'"{marker}\\u0000\\ud83d\\ude00\\ud83d"')
        if choice == 11 and not text:
            return ""
        if choice == 12:
            return rng.randrange(-(10**12), 10**12)
        return f"{marker} {rng.randrange(10**9)}"

    def mutated(self, provider: str) -> Push:
        """A valid push with one to three fields replaced by random values or removed."""
        marker = self.marker()
        data = self.base(provider, f"Fuzz {marker}")
        exact = True
        for name in self.rng.sample(FIELDS[provider], self.rng.randint(1, 3)):
            if self.rng.random() < 0.2:
                data.pop(name, None)
                continue
            value = self.value(marker, text=name == TEXT_FIELD[provider])
            data[name] = value
            if name == "guid" and not (isinstance(value, str) and marker in value):
                exact = False  # e.g. two guids of 0: the second is rightly a duplicate
        text = data.get(TEXT_FIELD[provider])
        if not (isinstance(text, str) and marker in text) and not (
            isinstance(text, Raw) and marker in text.token
        ):
            exact = False  # no text of ours: an accepted body may rightly be no message
        statuses = ALLOWED - {405, 408}
        return self.add(
            Push("mutated", provider, dumps(data), "maybe", marker, exact=exact, statuses=statuses)
        )

    def build(self) -> list[Push]:
        """The bulk, shuffled; the ordered special cases are built by `special`."""
        rng = self.rng
        for provider in PROVIDERS:
            for _ in range(30):
                size = rng.choice([0, 1, 2, 16, 200, 4000, rng.randrange(1, 60_000)])
                self.add(Push("random-bytes", provider, rng.randbytes(size), "refused"))
            for _ in range(10):
                marker = self.marker()
                body = dumps(self.base(provider, f"Bad {marker} REPLACE"))
                bad = rng.choice(
                    [
                        b"\xff",
                        b"\xc3\x28",
                        b"\xed\xa0\x80",
                        b"\xf4\x90\x80\x80",
                        b"\x80",
                        b"\xe2\x82",
                    ]
                )
                body = body.replace(b"REPLACE", bad)
                self.add(Push("bad-utf8", provider, body, "refused", marker))
            for _ in range(80):
                self.mutated(provider)
            for _ in range(12):
                self.valid(provider)
            self.structural(provider)
        rng.shuffle(self.pushes)
        return self.pushes

    def structural(self, provider: str) -> None:
        """Whole-body oddities: nesting, huge numbers, wrong top-level types, NUL, long ids."""
        bodies = {
            "deep-nesting": [
                b"[" * 10_000,
                b"[" * 10_000 + b"]" * 10_000,
                b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
                b'{"content":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                b'{"message":' + b"{" * 10_000,
            ],
            "huge-number": [
                b"1e400",
                BIG_INT.encode(),
                b'{"content":1e400,"mobile":1e400,"reply_time":1e400}',
                b'{"message":' + BIG_INT.encode() + b',"number":' + BIG_INT.encode() + b"}",
                b'{"msgid":' + BIG_INT.encode() + b',"status":' + BIG_INT.encode() + b"}",
                b'{"type":"sms.received","id":1e400,"data":{"message":1e400}}',
            ],
            "wrong-type": [
                b"null",
                b"true",
                b"0",
                b'""',
                b"[]",
                b"{}",
                b"[null]",
                b"[{}]",
                b'"text"',
                b'{"type":null}',
                b'{"type":"sms.received"}',
                b'{"type":[],"data":[]}',
                b'{"type":"sms.received","id":"e1","data":null}',
                b'{"type":"sms.received","id":"e2","data":{"message":null}}',
                b'{"type":"nonsense","id":"e3","data":{}}',
                b"[" + b",".join([b"{}"] * 1001) + b"]",
            ],
            "nul": [b"\x00", b"{\x00}", b'{"content":"\x00"}', b"\x00" * 1000],
        }
        for case, items in bodies.items():
            for body in items:
                self.add(Push(case, provider, body, "maybe", statuses=ALLOWED - {405, 408}))
        # NUL inside an otherwise valid text (escaped, and as a raw byte: not JSON then).
        marker = self.marker()
        data = self.base(provider, f"Nul {marker}\x00end")
        self.add(Push("nul", provider, dumps(data), "maybe", marker, statuses=ALLOWED))
        marker = self.marker()
        body = dumps(self.base(provider, f"Raw nul {marker} HERE")).replace(b"HERE", b"\x00")
        self.add(Push("nul", provider, body, "maybe", marker, statuses=ALLOWED))
        # Very long ids and senders: one fits in a body, one does not (413).
        for size, verdict in ((60 * 1024, "maybe"), (64 * 1024, "refused")):
            for _ in range(3):
                marker = self.marker()
                data = self.base(provider, f"Long id {marker}")
                long = marker + self.rng.choice("0123456789abcdef") * size
                for name in ("msgid", "guid", "mobile", "number"):
                    if name in data and (name != "mobile" or verdict == "refused"):
                        data[name] = long
                push = Push(
                    "long-id",
                    provider,
                    dumps(data),
                    verdict,
                    marker,
                    statuses=frozenset({413}) if verdict == "refused" else ALLOWED - {405},
                )
                self.add(push)

    def special(self) -> list[Push]:
        """Ordered cases: lone surrogate, over-size, chunked, slow, signatures, replay."""
        specials: list[Push] = []
        for provider in PROVIDERS:
            # A lone surrogate in an otherwise valid text: U+FFFD, fired once.
            marker = self.marker()
            data = self.base(provider, f"Surrogate {marker} \ud800 end")
            specials.append(
                self.add(
                    Push(
                        "lone-surrogate",
                        provider,
                        dumps(data),
                        "valid",
                        marker,
                        statuses=frozenset({200}),
                        message=f"Surrogate {marker} \ufffd end",
                    )
                )
            )
            # Over the 64 KiB limit, with a Content-Length and chunked: 413.
            for mode in ("plain", "chunked"):
                marker = self.marker()
                body = dumps(self.base(provider, f"Big {marker} " + "x" * 70_000))
                specials.append(
                    self.add(
                        Push(
                            "over-size",
                            provider,
                            body,
                            "refused",
                            marker,
                            mode=mode,
                            statuses=frozenset({413}),
                        )
                    )
                )
            specials.append(self.valid(provider, "chunked", mode="chunked"))
            specials.append(self.valid(provider, "slow", mode="slow"))
        # SMSMobileAPI's signature: every flaw is a 401 and fires nothing.
        now = int(time.time())
        other = dumps(self.base("smsmobileapi", "another body"))
        for case in (
            "sig-missing",
            "sig-empty",
            "sig-wrong-prefix",
            "sig-other-body",
            "sig-expired",
            "sig-future",
            "sig-bad-timestamp",
            "sig-no-timestamp",
        ):
            marker = self.marker()
            body = dumps(self.base("smsmobileapi", f"Signed {marker}"))
            good = signature_headers(body, SECRET, now)
            headers = {
                "sig-missing": {"Content-Type": "application/json"},
                "sig-empty": {**good, "X-SMSMobileAPI-Signature": ""},
                "sig-wrong-prefix": {
                    **good,
                    "X-SMSMobileAPI-Signature": "v2=" + good["X-SMSMobileAPI-Signature"][3:],
                },
                "sig-other-body": signature_headers(other, SECRET, now),
                "sig-expired": signature_headers(body, SECRET, now - 400),
                "sig-future": signature_headers(body, SECRET, now + 400),
                "sig-bad-timestamp": {**good, "X-SMSMobileAPI-Timestamp": "1e400"},
                "sig-no-timestamp": {"X-SMSMobileAPI-Signature": good["X-SMSMobileAPI-Signature"]},
            }[case]
            specials.append(
                self.add(
                    Push(
                        case,
                        "smsmobileapi",
                        body,
                        "refused",
                        marker,
                        headers=headers,
                        statuses=frozenset({401}),
                    )
                )
            )
        # The same valid signed request twice: the second may be 200, it must not fire again.
        replay = self.valid("smsmobileapi", "replay")
        twice = Push(
            "replay",
            "smsmobileapi",
            replay.body,
            "valid",
            replay.marker,
            headers=replay.headers,
            statuses=ALLOWED - {405, 408},
        )
        self.pushes.append(twice)
        specials += [replay, twice]
        return specials


async def _chunks(body: bytes, pieces: int, pause: float) -> AsyncIterator[bytes]:
    step = max(1, len(body) // pieces)
    for start in range(0, len(body), step):
        yield body[start : start + step]
        if pause:
            await asyncio.sleep(pause)


async def send(session: aiohttp.ClientSession, url: str, push: Push) -> None:
    """POST the push; its status (or the client error's name) is recorded."""
    data: Any = push.body
    if push.mode == "chunked":
        data = _chunks(push.body, 7, 0)
    elif push.mode == "slow":
        data = _chunks(push.body, 2, 2.0)
    try:
        async with session.post(
            url, data=data, headers=push.headers, timeout=aiohttp.ClientTimeout(total=60)
        ) as response:
            await response.read()
            push.answers.append(response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        push.answers.append(type(err).__name__)


def _tracebacks_of_ours(log: str) -> list[str]:
    """Tracebacks (up to the next log record) that pass through our integration's files."""
    found: list[str] = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if "Traceback (most recent call last)" not in line:
            continue
        block = [line]
        for following in lines[index + 1 :]:
            if LOG_RECORD.match(following):
                break
            block.append(following)
        if any("custom_components/sms_gateways" in b for b in block):
            found.append("\n".join(block))
    return found


async def _fired_since_start(api: HomeAssistantApi, entry_id: str) -> int:
    for _ in range(120):
        fired = await api.fired_messages(entry_id)
        if fired is not None:
            return fired
        await asyncio.sleep(0.5)
    raise TimeoutError("no diagnostics for the entry")


async def _collect(events: EventStream, wanted: set[str]) -> list[dict[str, Any]]:
    """Until every wanted marker has fired (30 s at most), then 3 s more for any duplicate."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = {m for e in events.received for m in MARKER.findall(str(e.get("message", "")))}
        if wanted <= seen:
            break
        await events.wait_for(len(events.received) + 1, seconds=deadline - time.monotonic())
    return await events.wait_for(len(events.received) + 10_000, seconds=3)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_webhook_fuzz(
    processes: Processes, expected_lingering_timers: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    procs = processes
    failures: list[str] = []
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        api = HomeAssistantApi(session, procs.ha_url)
        await api.wait_until_up(180)
        await api.login()
        entries: dict[str, str] = {}
        for provider in PROVIDERS:
            entry = await api.add_entry(provider, f"{procs.sim_url}/{provider}")
            entries[provider] = entry["entry_id"]
            await api.set_options(entry["entry_id"], {"scan_interval": 3600, "poll_inbound": False})
        await asyncio.sleep(2)  # the entries reload with their options
        await api.wait_entries_loaded(120)
        urls = dict(api.webhook_urls)
        assert set(urls) == set(PROVIDERS)

        fuzzer = Fuzzer(random.Random(SEED))
        bulk = list(fuzzer.build())
        specials = fuzzer.special()
        events = await api.events(EVENT)
        fuzz_started = time.monotonic()

        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def bounded(push: Push) -> None:
            async with semaphore:
                await send(session, urls[push.provider], push)

        await asyncio.gather(*(bounded(p) for p in bulk))
        # Ordered: the replay's second request only once the first was answered.
        slow = [p for p in specials if p.mode == "slow"]
        await asyncio.gather(*(send(session, urls[p.provider], p) for p in slow))
        for push in specials:
            if push.mode != "slow":
                await send(session, urls[push.provider], push)
        pushes = fuzzer.pushes
        sent_at_least_once = {id(p) for p in pushes if p.answers}
        assert len(sent_at_least_once) == len(pushes)

        # What each marker's answers allow.
        by_marker: dict[str, list[Push]] = defaultdict(list)
        for push in pushes:
            if push.marker:
                by_marker[push.marker].append(push)
        must_fire = {m for m, ps in by_marker.items() if any(p.verdict == "valid" for p in ps)}
        may_fire = {
            m
            for m, ps in by_marker.items()
            if m not in must_fire and any(p.answers[0] == 200 for p in ps)
        }
        exact_may = {m for m in may_fire if all(p.exact for p in by_marker[m])}
        received = await _collect(events, must_fire | exact_may)
        await events.close()
        fuzz_seconds = time.monotonic() - fuzz_started

        # Answers.
        histogram: dict[str, Counter[str]] = defaultdict(Counter)
        for push in pushes:
            for answer in push.answers:
                histogram[push.case][str(answer)] += 1
                if answer == 500 or answer not in push.statuses:
                    failures.append(
                        f"{push.case}/{push.provider} ({push.marker}): answered {answer}, "
                        f"expected one of {sorted(push.statuses)}"
                    )

        # Events, traced by marker.
        fired: Counter[str] = Counter()
        for event in received:
            markers = MARKER.findall(str(event.get("message", "")))
            if len(markers) != 1 or markers[0] not in by_marker:
                failures.append(f"an event no push explains: {str(event)[:200]!r}")
                continue
            fired[markers[0]] += 1
            failures.extend(
                f"{push.case}: fired {event['message']!r}"
                for push in by_marker[markers[0]]
                if push.message is not None and event["message"] != push.message
            )
        for marker, ps in by_marker.items():
            count, cases = fired[marker], sorted({p.case for p in ps})
            if marker in must_fire or marker in exact_may:
                if count != 1:
                    failures.append(f"{cases} {marker}: fired {count} times, not once")
            elif marker in may_fire:
                if count > 1:
                    failures.append(f"{cases} {marker}: fired {count} times")
            elif count:
                failures.append(f"{cases} {marker}: refused yet fired {count} times")

        # GET and PUT are not a provider's: refused, and the webhook id stays out of the log.
        for url in urls.values():
            for method in ("GET", "PUT"):
                async with session.request(method, url, data=b"{}") as response:
                    await response.read()
                    histogram[f"method-{method}"][str(response.status)] += 1
                    if response.status not in ALLOWED:
                        failures.append(f"{method}: answered {response.status}")

        # The inbox files are written within about a second of a change.
        await asyncio.sleep(2)
        sizes = {}
        for provider, entry_id in entries.items():
            path = Path(procs.config_dir) / ".storage" / f"sms_gateways.{entry_id}.inbox"
            sizes[provider] = path.stat().st_size if path.exists() else 0
            if sizes[provider] >= STORAGE_BOUND:
                failures.append(f"{provider}'s inbox file is {sizes[provider]} bytes")

        # A clean restart: nothing fires again.
        restart_started = time.monotonic()
        procs.stop_hass()
        procs.start_hass()
        await api.wait_until_up(180)
        await api.login()
        await api.wait_entries_loaded(120)
        events = await api.events(EVENT)
        again = await events.wait_for(1, seconds=4)
        await events.close()
        if again:
            failures.append(f"after the restart {len(again)} events fired: {again[:3]!r}")
        for provider, entry_id in entries.items():
            if (count := await _fired_since_start(api, entry_id)) != 0:
                failures.append(f"after the restart {provider} fired {count} messages")
        restart_seconds = time.monotonic() - restart_started

    log = procs.log()
    failures += [f"traceback of ours in the log:\n{t}" for t in _tracebacks_of_ours(log)]
    failures += [
        f"error record of ours: {line}"
        for line in log.splitlines()
        if "sms_gateways" in line and (" ERROR " in line or " CRITICAL " in line)
    ]
    for provider, url in urls.items():
        webhook_id = url.rstrip("/").rsplit("/", 1)[1]
        lines = [line for line in log.splitlines() if webhook_id in line]
        if lines:
            failures.append(f"{provider}'s webhook id is in the log: {lines[:2]}")

    total: Counter[str] = Counter()
    for counts in histogram.values():
        total.update(counts)
    lines = [f"webhook fuzz: {len(pushes)} pushes (seed {SEED}), {len(received)} events"]
    lines += [f"  {case:18} {dict(sorted(histogram[case].items()))}" for case in sorted(histogram)]
    lines.append(f"  {'all':18} {dict(sorted(total.items()))}")
    lines.append(f"  must fire {len(must_fire)}, accepted fuzz {len(may_fire)}, inbox {sizes}")
    lines.append(
        f"  fuzz {fuzz_seconds:.1f} s, restart {restart_seconds:.1f} s, "
        f"whole test {time.monotonic() - started:.1f} s"
    )
    lines += [f"  FAIL {failure[:600]}" for failure in failures]
    with capsys.disabled():
        print("\n" + "\n".join(lines))  # noqa: T201
    assert failures == []
