"""The gateway simulator: the four fakes in one local process, with a page to drive them.

`python -m tests.fakes [--host 127.0.0.1] [--port 8124]` serves each provider's API under
`/<provider>` (point an entry's `url` there) and, at `/`, a page that shows what each provider was
sent and lets a person deliver an inbound SMS (polled, or pushed to a webhook URL), queue a
delivery report, set the balance and switch faults on and off. `/_sim/…` answers JSON for scripts.
"""

from __future__ import annotations

import html
import itertools
import json
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeProvider, Fault, build_app
from tests.fakes.duanxintong import DuanxintongFake
from tests.fakes.enviosms import EnvioSmsFake
from tests.fakes.itniotech import ItniotechFake, inbound_push_body, report_push_body
from tests.fakes.smsmobileapi import SmsMobileApiFake, legacy_push_body, signature_headers

PUSH_TIMEOUT = aiohttp.ClientTimeout(total=10)
_PUSH_IDS = itertools.count(int(time.time()))


def make_fakes() -> dict[str, FakeProvider]:
    """One fake per provider with its default account."""
    return {
        "enviosms": EnvioSmsFake(),
        "duanxintong": DuanxintongFake(),
        "smsmobileapi": SmsMobileApiFake(),
        "itniotech": ItniotechFake(),
    }


def build_simulator(fakes: dict[str, FakeProvider] | None = None) -> web.Application:
    """The simulator app: the fakes under `/<provider>`, the page at `/`, JSON under `/_sim/`."""
    fakes = fakes or make_fakes()
    app = build_app(list(fakes.values()))
    app["fakes"] = fakes
    app.add_routes(
        [
            web.get("/", _page),
            web.get("/_sim/state", _state),
            web.post("/_sim/{provider}/inbound", _inbound),
            web.post("/_sim/{provider}/report", _report),
            web.post("/_sim/{provider}/fault", _fault),
            web.post("/_sim/{provider}/balance", _balance),
        ]
    )
    return app


def _fake(request: web.Request) -> Any:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    provider = request.match_info["provider"]
    if provider not in fakes:
        raise web.HTTPNotFound(text=f"No provider {provider}")
    return fakes[provider]


async def _data(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await request.json()
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {k: str(v) for k, v in (await request.post()).items()}


def _answer(request: web.Request, result: dict[str, Any]) -> web.Response:
    if request.content_type == "application/json":
        return web.json_response(result)
    raise web.HTTPSeeOther("/")


async def _state(request: web.Request) -> web.Response:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    return web.json_response(
        {
            key: {
                **fake.snapshot(),
                "credentials": fake.credentials,
                "fault": fake.state.fault.value,
                "requests": len(fake.state.requests),
            }
            for key, fake in fakes.items()
        },
        dumps=lambda o: json.dumps(o, default=str, ensure_ascii=False),
    )


async def _inbound(request: web.Request) -> web.Response:
    """Queue an SMS for polling, or push it to `webhook_url`."""
    fake, provider = _fake(request), request.match_info["provider"]
    data = await _data(request)
    sender, text = data.get("sender", ""), data.get("text", "")
    webhook_url = data.get("webhook_url", "").strip()
    if not webhook_url:
        if not hasattr(fake, "queue_inbound"):
            raise web.HTTPBadRequest(text=f"{provider} has no inbound SMS")
        message_id = fake.queue_inbound(sender, text)
        return _answer(request, {"queued": message_id})
    if provider == "smsmobileapi":
        body = legacy_push_body(sender, text)
        headers = signature_headers(body, fake.webhook_secret, int(time.time()))
    elif provider == "itniotech":
        # A fresh MO id per push (a clock value could repeat within a millisecond).
        body = inbound_push_body(sender.lstrip("+"), text, f"sim{next(_PUSH_IDS)}")
        headers = {}
    else:
        raise web.HTTPBadRequest(text=f"{provider} does not push")
    status = await _push(webhook_url, body, headers)
    return _answer(request, {"pushed": status})


async def _report(request: web.Request) -> web.Response:
    """Queue a delivery report for polling, or push it (Itniotech)."""
    fake, provider = _fake(request), request.match_info["provider"]
    data = await _data(request)
    message_id, recipient = data.get("message_id", ""), data.get("recipient", "")
    status = data.get("status", "")
    webhook_url = data.get("webhook_url", "").strip()
    if webhook_url and provider == "itniotech":
        code = {"delivered": 0, "failed": 1, "pending": -1}.get(status, 0)
        result = await _push(webhook_url, report_push_body(message_id, recipient, code), {})
        return _answer(request, {"pushed": result})
    if provider == "duanxintong":
        fake.queue_report(message_id, recipient, {"delivered": 10, "failed": 20}.get(status, -1))
    elif provider == "itniotech":
        fake.queue_report(message_id, recipient, {"delivered": 0, "failed": 1}.get(status, -1))
    elif provider == "smsmobileapi":
        fake.queue_report(message_id, recipient, status or "delivered")
    else:
        raise web.HTTPBadRequest(text=f"{provider} has no delivery reports")
    return _answer(request, {"queued": message_id})


async def _fault(request: web.Request) -> web.Response:
    fake = _fake(request)
    data = await _data(request)
    fault = Fault(data.get("fault", "none"))
    count = int(data["count"]) if data.get("count") else None
    fake.set_fault(fault, count=count, code=data.get("code") or None)
    if data.get("hang_seconds"):
        fake.state.hang_seconds = float(data["hang_seconds"])
    return _answer(request, {"fault": fault.value})


async def _balance(request: web.Request) -> web.Response:
    fake = _fake(request)
    data = await _data(request)
    fake.balance = float(data.get("balance", "0"))
    return _answer(request, {"balance": fake.balance})


async def _push(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        async with (
            aiohttp.ClientSession(timeout=PUSH_TIMEOUT) as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            return response.status
    except (aiohttp.ClientError, TimeoutError) as err:
        raise web.HTTPBadGateway(text=f"Push failed: {type(err).__name__}") from None


def _rows(items: list[dict[str, Any]]) -> str:
    if not items:
        return "<p><em>nothing yet</em></p>"
    cols = list(items[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(i.get(c, '')))}</td>" for c in cols) + "</tr>"
        for i in items[-20:]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


async def _page(request: web.Request) -> web.Response:
    fakes: dict[str, FakeProvider] = request.app["fakes"]
    sections = []
    for key, fake in fakes.items():
        snap = fake.snapshot()
        sent = snap.get("sent", [])
        creds = ", ".join(
            f"{k}: <code>{html.escape(v)}</code>" for k, v in fake.credentials.items()
        )
        faults = "".join(
            f'<option value="{f.value}"{" selected" if f is fake.state.fault else ""}>{f.value}</option>'
            for f in Fault
            if f is not Fault.CODE
        )
        pushes = key in ("smsmobileapi", "itniotech")
        sections.append(f"""
<section id="{key}"><h2>{key}</h2>
<p>API root: <code>{html.escape(str(request.url.origin()))}/{key}</code> — {creds}</p>
<p>Balance: <b>{html.escape(str(snap.get("balance", "—")))}</b> {
            html.escape(str(snap.get("unit", "")))
        }
<form method="post" action="/_sim/{key}/balance" class="inline"><input name="balance" size="6">
<button>Set</button></form></p>
<form method="post" action="/_sim/{key}/fault">Fault: <select name="fault">{faults}</select>
<button>Apply</button></form>
<h3>Sent ({len(sent)})</h3>{_rows(sent)}
{
            ""
            if key == "enviosms"
            else f'''<h3>Deliver an inbound SMS</h3>
<form method="post" action="/_sim/{key}/inbound">From <input name="sender" value="+5215512345678">
Text <input name="text" value="HEAT ON">
{'Webhook URL (empty: wait for a poll) <input name="webhook_url" size="50">' if pushes else ""}
<button>Deliver</button></form>
<h3>Delivery report</h3>
<form method="post" action="/_sim/{key}/report">Message id <input name="message_id">
Recipient <input name="recipient"> Status <select name="status"><option>delivered</option>
<option>failed</option><option>pending</option></select>
{'Webhook URL (empty: wait for a poll) <input name="webhook_url" size="50">' if key == "itniotech" else ""}
<button>Queue</button></form>'''
        }
</section>""")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>SMS gateway simulator</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}section{{border:1px solid #ccc;
padding:0 1em 1em;margin:1em 0;border-radius:8px}}table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ddd;padding:2px 6px}}form{{margin:.4em 0}}.inline{{display:inline}}</style>
</head><body><h1>SMS gateway simulator</h1>
<p>Four fake providers speaking their documented wire formats. Add an entry in Home Assistant with
the API root and credentials shown for each.</p>{"".join(sections)}</body></html>"""
    return web.Response(text=page, content_type="text/html")
