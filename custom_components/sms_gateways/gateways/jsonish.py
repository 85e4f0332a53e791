"""Parse lenient JSON.

What some providers answer is a JavaScript literal rather than JSON.

EnvioSMS's documented send answer is `{ status: true, tipo: 0, codigo: 1001, mensaje: 'Envío en
proceso' }` (bare keys, single quotes) and Itniotech's push examples are not strict JSON either.
Strict JSON is tried first; otherwise a small parser accepts bare keys, single-quoted strings,
trailing commas and `//` or `/* */` comments. Anything else raises `ValueError`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .text import clean_text

_MAX_DEPTH = 64
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}  # fmt: skip
_WORDS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def loads(text: str | bytes) -> Any:
    """Parse strict JSON, or a JavaScript-style object literal; raise `ValueError` otherwise.

    Bytes must be UTF-8. Every string in the result (keys too) is cleaned (`clean_text`): a
    provider's or a caller's escapes cannot smuggle in text Home Assistant cannot store.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    dirty = _may_need_cleaning(text)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        parser = _Parser(text)
        value = parser.value(0)
        parser.skip()
        if parser.pos != len(text):
            raise ValueError(f"unexpected data at {parser.pos}") from None
    return _cleaned(value) if dirty else value


def _may_need_cleaning(text: str) -> bool:
    """Return whether any string parsed from `text` could hold a lone surrogate or a NUL.

    Only a "backslash u" escape, a NUL or a surrogate already in `text` can put one there: a poll
    answer of thousands of plain messages then skips the walk over every string (100 ms for
    6,000 SMSMobileAPI messages, inside the event loop).
    """
    if "\\u" in text or "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _cleaned(value: Any) -> Any:
    # Iterative: the depth of what json.loads accepted is not ours to bound here.
    if isinstance(value, str):
        return clean_text(value)
    if not isinstance(value, (dict, list)):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, value)]
    while stack:
        parent, key, node = stack.pop()
        if isinstance(node, str):
            parent[key] = clean_text(node)
        elif isinstance(node, list):
            stack.extend((node, i, item) for i, item in enumerate(node))
        elif isinstance(node, dict):
            cleaned = {clean_text(k) if isinstance(k, str) else k: v for k, v in node.items()}
            parent[key] = cleaned
            stack.extend((cleaned, k, v) for k, v in cleaned.items())
    return root[0]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise ValueError("unterminated comment")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        if self.pos >= len(self.text):
            raise ValueError("unexpected end")
        return self.text[self.pos]

    def value(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deeply")
        c = self.peek()
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c in "\"'":
            return self.string()
        return self.bare()

    def obj(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        while True:
            c = self.peek()
            if c == "}":
                self.pos += 1
                return out
            key = self.string() if c in "\"'" else self.word()
            if self.peek() != ":":
                raise ValueError(f"expected ':' at {self.pos}")
            self.pos += 1
            out[key] = self.value(depth + 1)
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c != "}":
                raise ValueError(f"expected ',' or '}}' at {self.pos}")

    def arr(self, depth: int) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        while True:
            if self.peek() == "]":
                self.pos += 1
                return out
            out.append(self.value(depth + 1))
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c != "]":
                raise ValueError(f"expected ',' or ']' at {self.pos}")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        parts: list[str] = []
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c == quote:
                self.pos += 1
                return "".join(parts)
            if c == "\\":
                esc = text[self.pos + 1 : self.pos + 2]
                if esc == "u":
                    digits = text[self.pos + 2 : self.pos + 6]
                    if len(digits) != 4 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                        raise ValueError(f"bad \\u escape at {self.pos}")
                    parts.append(chr(int(digits, 16)))
                    self.pos += 6
                    continue
                if esc not in _ESCAPES:
                    raise ValueError(f"bad escape at {self.pos}")
                parts.append(_ESCAPES[esc])
                self.pos += 2
                continue
            parts.append(c)
            self.pos += 1
        raise ValueError("unterminated string")

    def word(self) -> str:
        start = self.pos
        text, n = self.text, len(self.text)
        while self.pos < n and (text[self.pos].isalnum() or text[self.pos] in "_$"):
            self.pos += 1
        if start == self.pos:
            raise ValueError(f"expected a key at {start}")
        return text[start : self.pos]

    def bare(self) -> Any:
        start = self.pos
        text, n = self.text, len(self.text)
        while self.pos < n and (text[self.pos].isalnum() or text[self.pos] in "+-._"):
            self.pos += 1
        token = text[start : self.pos]
        if token in _WORDS:
            return _WORDS[token]
        try:
            number = float(token) if any(c in token for c in ".eE") else int(token)
        except ValueError:
            raise ValueError(f"unexpected {token!r} at {start}") from None
        if not math.isfinite(number):
            raise ValueError(f"not a finite number at {start}")
        return number
