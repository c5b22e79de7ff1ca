"""A small YAML writer for proposals: block mappings and lists, `Flow` mappings and lists on one
line, `Folded` strings (`>-`) over several lines. Strings that plain YAML would misread are
written double-quoted (JSON string syntax, which YAML reads as is). Fast and deterministic; the
output is read back with the same loaders as curated files.
"""

from __future__ import annotations

import json
import re


class Flow(dict):
    """A mapping written on one line: {value: 40, unit: t}."""


class FlowList(list):
    """A list written on one line: [a, b]."""


class Folded(str):
    """A string written as a folded block scalar, one line per item of `lines`."""

    def __new__(cls, text: str, lines: list[str]):
        obj = super().__new__(cls, text)
        obj.lines = lines
        return obj


_PLAIN = re.compile(r"^[A-Za-z0-9_\u00c0-\uffff(][^\n:#]*$")
_RESERVED = re.compile(r"^(?:true|false|yes|no|on|off|null|~|y|n|[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:e[-+]?\d+)?|"
                       r"[-+]?\.inf|\.nan|\d{4}-\d\d-\d\d.*|0x[0-9a-f]+|0o[0-7]+|[-+]?\d+(?::\d+)+)$", re.I)


_FLOW_CHARS = re.compile(r"[,\[\]{}]")
_BAD_TAIL = re.compile(r"\s[-?]$|[\x00-\x1f\x7f\u2028\u2029\ufeff]")


def scalar(v, in_flow: bool = False) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        return r if ("." in r or "e" in r or "inf" in r or "nan" in r) else r + ".0"
    s = str(v)
    if (s and _PLAIN.match(s) and not _RESERVED.match(s) and s == s.strip() and "  " not in s
            and not (in_flow and _FLOW_CHARS.search(s)) and s[0] not in "[]{}&*!|>'\"%@`"
            and not s.endswith(("-", ":")) and not _BAD_TAIL.search(s)):
        return s
    return json.dumps(s, ensure_ascii=False)


def _flow(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar(k, True)}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return scalar(v, True)


def dump(data, out: list[str] | None = None, indent: int = 0) -> str:
    lines: list[str] = [] if out is None else out
    _node(data, indent, lines)
    return "\n".join(lines) + "\n" if out is None else ""


def _node(v, indent: int, lines: list[str], prefix: str | None = None):
    pad = " " * indent
    if prefix is None:
        prefix = pad
    if isinstance(v, dict) and not isinstance(v, Flow):
        first = True
        for k, x in v.items():
            head = (prefix if first else pad) + f"{scalar(k)}:"
            first = False
            _value(x, head, indent, lines)
        if first:
            lines.append(prefix + "{}")
        return
    if isinstance(v, list) and not isinstance(v, FlowList):
        if not v:
            lines.append(prefix + "[]")
            return
        for i, x in enumerate(v):
            head = (prefix if i == 0 else pad) + "- "
            if isinstance(x, dict) and not isinstance(x, Flow) and x:
                _node(x, indent + 2, lines, head)
            elif isinstance(x, list) and not isinstance(x, FlowList) and x:
                lines.append(head.rstrip())
                _node(x, indent + 2, lines)
            else:
                lines.append(head + _inline(x))
        return
    lines.append(prefix + _inline(v))


def _inline(v) -> str:
    if isinstance(v, (Flow, FlowList, dict, list)):
        return _flow(v)
    return scalar(v)


def _value(x, head: str, indent: int, lines: list[str]):
    if isinstance(x, Folded):
        lines.append(head + " >-")
        for ln in x.lines:
            lines.append(" " * (indent + 2) + ln)
    elif isinstance(x, dict) and not isinstance(x, Flow) and x:
        lines.append(head)
        _node(x, indent + 2, lines)
    elif isinstance(x, list) and not isinstance(x, FlowList) and x:
        lines.append(head)
        _node(x, indent + 2, lines)
    else:
        lines.append(head + " " + _inline(x))
