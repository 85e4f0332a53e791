"""The lenient parser for JavaScript-literal answers."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways import jsonish


def test_enviosms_documented_answer() -> None:
    body = "{ \n  status: true, \n  tipo: 0, \n  codigo: 1001,\n  mensaje: 'Envío en proceso'\n}"
    assert jsonish.loads(body) == {
        "status": True,
        "tipo": 0,
        "codigo": 1001,
        "mensaje": "Envío en proceso",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2.5, -3e2, null]}', {"a": [1, 2.5, -300.0, None]}),
        ("{a: 1, b: [1, 2,], }", {"a": 1, "b": [1, 2]}),
        ("{'a': 'it\\'s', // note\n b: /* x */ \"q\"}", {"a": "it's", "b": "q"}),
        ("{a: '\\u00e9\\n'}", {"a": "é\n"}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
    ],
)
def test_lenient_forms(text: str | bytes, expected: object) -> None:
    assert jsonish.loads(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "{", "{a 1}", "{a: 1} x", "{a: 'open}", "[1 2]", "{a: NaN}", "{a: Infinity}", "{a: zz}",
     "{a:" * 100 + "1" + "}" * 100, "{a: '\\q'}", "/* open"],
)  # fmt: skip
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        jsonish.loads(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_strict_json_round_trips(value: object) -> None:
    # Everything comes back as it was, but NUL, which Home Assistant's recorder cannot store.
    text = json.dumps(value)
    assert jsonish.loads(text) == json.loads(text.replace("\\u0000", "\\ufffd"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"t": "\\ud800"}', {"t": "\ufffd"}),  # a lone high surrogate
        ('{"t": "a\\udfffb"}', {"t": "a\ufffdb"}),  # a lone low surrogate
        ('{"\\udc00": 1}', {"\ufffd": 1}),  # in a key
        ('["\\ud83d\\ude00"]', ["\U0001f600"]),  # a pair is the character it encodes
        ("{t: 'x\\u0000y'}", {"t": "x\ufffdy"}),  # NUL, in the lenient parser too
        ('[[[["\\ud800"]]]]', [[[["\ufffd"]]]]),
    ],
)
def test_text_home_assistant_cannot_store_is_replaced(text: str, expected: object) -> None:
    value = jsonish.loads(text)
    assert value == expected
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # storable: no surrogate is left


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(ValueError):
        jsonish.loads(b'{"t": "\xff\xfe"}')


@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_value_error(text: str) -> None:
    try:
        jsonish.loads(text)
    except ValueError:
        pass
