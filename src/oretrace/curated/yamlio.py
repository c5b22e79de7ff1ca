"""Curated YAML, read safely: YAML 1.2 core-schema scalars, line numbers kept, hard limits on work.

`load(text, limits)` builds plain Python values (`Map`, `Seq`, str, int, float, bool, None) from
libyaml's event stream, without recursion, so that no document can make the reader crash or run
away: nesting depth, the number of values (with aliases counted as often as they are used), the
length of a scalar and of a number are capped, and every cap is named in the error. Scalars follow
the YAML 1.2 core schema, where `yes` and `1:20` are text and `0x1F` a number; a plain scalar that
YAML 1.1 would read differently from 1.2 (`010`, `0o17`, `1_000`, `1:20`, `yes`, `on`) is refused
as ambiguous unless quoted, so no value ever silently changes. Explicit tags, complex mapping keys,
duplicate keys and several documents in one file are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


@dataclass(frozen=True)
class Limits:
    """What one curated file may cost to read."""

    max_bytes: int = 8 << 20        # file size
    max_depth: int = 64             # nesting of mappings and sequences
    max_values: int = 500_000       # values built, aliases counted at every use
    max_scalar: int = 100_000       # characters of one scalar
    max_number_digits: int = 40     # characters of a plain number


class YamlError(Exception):
    """The text is not curated YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str):
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")


class Map(dict):
    """A mapping with the line of its start and of each key."""

    line: int = 0
    key_lines: dict


class Seq(list):
    """A sequence with the line of its start and of each item."""

    line: int = 0
    item_lines: list


def line_of(obj, key=None, default: int = 1) -> int:
    """The line of a key of a mapping (or of an item index of a sequence), else of the value itself."""
    if key is not None:
        if isinstance(obj, Map) and key in obj.key_lines:
            return obj.key_lines[key]
        if isinstance(obj, Seq) and isinstance(key, int) and 0 <= key < len(obj.item_lines):
            return obj.item_lines[key]
    return getattr(obj, "line", default)


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema): its tag resolution table, in
# order, as (the plain scalars of a tag, the value of one): the words, then the numbers, whose length
# is limited, then infinity and not-a-number
def _table(*rows) -> tuple[tuple[re.Pattern, object], ...]:
    return tuple((re.compile(rx), value) for rx, value in rows)


_WORDS = _table((r"null|Null|NULL|~", lambda s: None), (r"true|True|TRUE", lambda s: True),
                (r"false|False|FALSE", lambda s: False))
_NUMBERS = _table((r"[-+]?[0-9]+", int), (r"0o[0-7]+", lambda s: int(s[2:], 8)), (r"0x[0-9a-fA-F]+", lambda s: int(s[2:], 16)),
                  (r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", float))  # 1e400 is inf: the reader refuses it by name
_SPECIAL = _table((r"[-+]?\.(inf|Inf|INF)", lambda s: float("-inf") if s.startswith("-") else float("inf")),
                  (r"\.(nan|NaN|NAN)", lambda s: float("nan")))
# plain scalars that YAML 1.1 (PyYAML's default, and many editors) reads differently from 1.2
_AMBIGUOUS = [
    (re.compile(r"[-+]?0[0-9]+"), "a number with a leading zero is octal in YAML 1.1 and decimal in YAML 1.2"),
    (re.compile(r"[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?"), "underscores in a number are digit separators in YAML 1.1 only"),
    (re.compile(r"[-+]?[0-9]+(:[0-5]?[0-9])+(\.[0-9]*)?"), "a colon-separated number is base 60 in YAML 1.1"),
    (re.compile(r"0b[01_]+"), "0b... is a binary number in YAML 1.1 only"),
    (re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"), "this word is a boolean in YAML 1.1 and text in YAML 1.2"),
]
_FIX = {True: "quote it if it is text, or write true or false", False: "quote it if it is text, or write the number plainly, e.g. 10 or 1000"}


def _plain(value: str, line: int, limits: Limits):
    """The value of an untagged plain scalar under the core schema."""
    if value == "":
        return None
    for pattern, convert in _WORDS:
        if pattern.fullmatch(value):
            return convert(value)
    for pattern, why in _AMBIGUOUS:
        if pattern.fullmatch(value):
            raise YamlError(line, f"ambiguous value {value[:40]!r}: {why} ({_FIX['boolean' in why]})")
    if any(p.fullmatch(value) for p, _ in _NUMBERS) and len(value) > limits.max_number_digits:
        raise YamlError(line, f"number of {len(value)} characters is longer than the {limits.max_number_digits} "
                              "allowed (limit max_number_digits; no curated figure needs that many digits)")
    for pattern, convert in _NUMBERS + _SPECIAL:
        if pattern.fullmatch(value):
            return convert(value)
    return value


def load(text: str, limits: Limits = Limits()):
    """The single document of `text` as Map/Seq/scalars; raises YamlError (never anything else)."""
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise YamlError(1, f"the file is larger than {limits.max_bytes >> 20} MiB (limit max_bytes; split it into "
                           "several files, one per source document)")
    try:
        return _build(yaml.parse(text, Loader=_Parser), limits)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"malformed YAML: {e.problem or e.context} (fix the indentation or quoting on this line)") from None
    except yaml.YAMLError as e:
        raise YamlError(1, f"malformed YAML: {e} (fix the file's syntax)") from None
    except (RecursionError, MemoryError):
        raise YamlError(1, "the file is too deeply nested or too large to read (simplify its structure)") from None


def _build(events, limits: Limits):
    stack: list[list] = []  # frames: [container, pending_key, key_line]
    anchors: dict[str, tuple[object, int]] = {}  # anchor -> (value, size)
    sizes: list[int] = []  # values built inside each open frame
    anchored: list[str | None] = []
    total = 0
    root, done, documents = None, False, 0

    def add(value, line, size=1, count=None):
        """Place a value in the open container; `size` is what it weighs inside anchors, `count` what it adds
        to the file's total (a container's values were counted as they came; an alias counts them again)."""
        nonlocal total, root, done
        total += size if count is None else count
        if total > limits.max_values:
            raise YamlError(line, f"more than {limits.max_values:,} values (limit max_values; aliases count at every "
                                  "use: remove the anchors and aliases, or split the file)")
        if not stack:
            root, done = value, True
            return
        sizes[-1] += size
        frame = stack[-1]
        container = frame[0]
        if isinstance(container, Seq):
            container.append(value)
            container.item_lines.append(line)
        elif frame[1] is _NO_KEY:
            if isinstance(value, (Map, Seq)):
                raise YamlError(line, "a mapping key must be a name, not a mapping or list (write key: value)")
            if not isinstance(value, str):
                raise YamlError(line, f"a mapping key must be a name, not {value!r} (quote it: '{value}': ...)")
            frame[1], frame[2] = value, line
        else:
            key = frame[1]
            if key in container:
                raise YamlError(frame[2], f"duplicate key {key!r}, first at line {container.key_lines[key]} "
                                          "(each key may appear once in a mapping)")
            container[key] = value
            container.key_lines[key] = frame[2]
            frame[1] = _NO_KEY

    for ev in events:
        line = ev.start_mark.line + 1
        if isinstance(ev, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlError(line, "more than one YAML document in the file (remove the '---' line; one document per file)")
            continue
        if isinstance(ev, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        tag = getattr(ev, "tag", None)
        if tag is not None and not isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            implicit = getattr(ev, "implicit", True)
            plain_tag = (isinstance(implicit, tuple) and any(implicit)) or implicit is True
            if not plain_tag and tag not in ("tag:yaml.org,2002:str", "!"):
                raise YamlError(line, f"explicit YAML tag {tag!r} is not allowed in curated files (remove it)")
        if isinstance(ev, yaml.AliasEvent):
            if ev.anchor not in anchors:
                raise YamlError(line, f"alias *{ev.anchor} names no anchor defined before it")
            value, size = anchors[ev.anchor]
            add(value, line, size)
            continue
        if isinstance(ev, yaml.ScalarEvent):
            if len(ev.value) > limits.max_scalar:
                raise YamlError(line, f"a value of {len(ev.value):,} characters is longer than the {limits.max_scalar:,} "
                                      "allowed (limit max_scalar)")
            plain = not ev.style and ev.implicit[0] and ev.tag in (None, "!")
            value = _plain(ev.value, line, limits) if plain else ev.value
            if ev.anchor:
                anchors[ev.anchor] = (value, 1)
            add(value, line)
            continue
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= limits.max_depth:
                raise YamlError(line, f"nested more than {limits.max_depth} levels deep (limit max_depth; flatten the structure)")
            if isinstance(ev, yaml.MappingStartEvent):
                c = Map()
                c.key_lines = {}
            else:
                c = Seq()
                c.item_lines = []
            c.line = line
            stack.append([c, _NO_KEY, line])
            sizes.append(1)  # the container itself
            anchored.append(ev.anchor)
            continue
        if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            c, pending, _ = stack.pop()
            size = sizes.pop()
            anchor = anchored.pop()
            if isinstance(c, Map) and pending is not _NO_KEY:  # cannot happen with a well-formed stream
                raise YamlError(line, "a mapping key has no value")
            if anchor:
                anchors[anchor] = (c, size)
            add(c, c.line, size, count=1)
            continue
    return root if done else None


class _NoKey:
    pass


_NO_KEY = _NoKey()
