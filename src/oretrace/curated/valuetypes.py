"""The value types of the curated format: text, patterns, references, years, dates, URLs, numbers,
choices and pages, each with `parse` (the checked value, or Invalid saying how to fix it) and
`schema` (its JSON Schema). curated/format.py names the types it uses; format.yaml declares the records.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..vocab import KINDS

# the grammars of the Pattern types of curated/format.py (a reference's, a date's and a page's are
# beside their types below)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STATEMENT_ID = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*")
INDIVIDUAL = re.compile(r"(?:[a-z]+:)?[A-Za-z][A-Za-z0-9]*")
LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


class Invalid(Exception):
    """A value does not fit its type; the message says what is wrong and how to fix it."""


def _kind_name(v) -> str:
    return {bool: "true/false", int: "a number", float: "a number", type(None): "empty", dict: "a mapping",
            list: "a list"}.get(type(v), type(v).__name__)


@dataclass(frozen=True)
class Type:
    """A value type: `parse` returns the checked value or raises Invalid."""

    name: str
    doc: str

    def parse(self, v):
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Type):
    max_len: int = 300
    one_line: bool = True

    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise Invalid(f"must be text, not {_kind_name(v)} (quote it)")
        s = str(v)
        if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in s):
            raise Invalid("contains control characters (remove them)")
        s = " ".join(s.split()) if self.one_line else s.strip()
        if not s:
            raise Invalid("is empty (write the text, or remove the field)")
        if len(s) > self.max_len:
            raise Invalid(f"is {len(s):,} characters long, more than the {self.max_len:,} allowed (shorten it)")
        return s

    def schema(self):
        return {"type": "string", "minLength": 1, "maxLength": self.max_len}


@dataclass(frozen=True)
class Pattern(Type):
    regex: re.Pattern = SLUG
    example: str = ""
    max_len: int = 200

    def parse(self, v):
        if not isinstance(v, str) or len(v) > self.max_len or not self.regex.fullmatch(v):
            shown = repr(v)[:80] if isinstance(v, str) else _kind_name(v)
            raise Invalid(f"{shown} is not {self.doc} (e.g. {self.example})")
        return v

    def schema(self):
        return {"type": "string", "pattern": f"^(?:{self.regex.pattern})$", "maxLength": self.max_len}


REF = re.compile(r"(?P<kind>[a-z]+)/(?P<slug>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)")


@dataclass(frozen=True)
class Ref(Type):
    """A reference `kind/slug` to an entity (kinds: the allowed ones, or any entity kind)."""

    kinds: tuple[str, ...] = ()

    def parse(self, v):
        m = REF.fullmatch(v) if isinstance(v, str) and len(v) <= 200 else None
        allowed = self.kinds or tuple(k for k in KINDS if k != "source")
        if not m:
            shown = repr(v)[:80] if isinstance(v, str) else _kind_name(v)
            raise Invalid(f"{shown} is not a reference (write kind/slug with kind one of {', '.join(allowed)})")
        if m.group("kind") not in allowed:
            raise Invalid(f"{v!r}: kind {m.group('kind')!r} is not allowed here (use one of {', '.join(allowed)})")
        return v

    def schema(self):
        kinds = "|".join(self.kinds or [k for k in KINDS if k != "source"])
        return {"type": "string", "pattern": f"^(?:{kinds})/[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$"}


@dataclass(frozen=True)
class Year(Type):
    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise Invalid(f"must be a whole number, not {str(v)[:40]!r} (write four digits without quotes, e.g. 2018)")
        if not 1000 <= v <= 9999:
            raise Invalid(f"{v} is not a four-digit year (write four digits, e.g. 2018)")
        return v

    def schema(self):
        return {"type": "integer", "minimum": 1000, "maximum": 9999}


DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Date(Type):
    def parse(self, v):
        import datetime as dt

        if not isinstance(v, str) or not DATE.fullmatch(v):
            raise Invalid(f"{str(v)[:40]!r} is not a date (write YYYY-MM-DD)")
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            raise Invalid(f"{v!r} is not a date of the calendar (write YYYY-MM-DD)") from None
        return v

    def schema(self):
        return {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


@dataclass(frozen=True)
class Url(Type):
    def parse(self, v):
        if not isinstance(v, str):
            raise Invalid(f"{_kind_name(v)} is not a URL (write the full http(s) address)")
        u = "".join(v.split()) if "\n" in v else v  # a URL folded over lines joins back without spaces
        if len(u) > 2000:
            raise Invalid("the URL is longer than 2,000 characters (give the page's address)")
        bad = next((c for c in u if c in ' <>"{}|\\^`' or ord(c) < 0x21 or ord(c) == 0x7F), None)
        if bad is not None:
            raise Invalid(f"the URL {u[:80]!r} contains {bad!r}, which a URL cannot hold (percent-encode it)")
        try:
            parts = urlsplit(u)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as e:
            raise Invalid(f"{u[:80]!r} is not a valid URL ({e}; write the full http(s) address)") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise Invalid(f"{u[:80]!r} is not an http(s) URL (only http:// and https:// addresses are accepted)")
        try:
            import pyoxigraph as ox

            ox.NamedNode(u)
        except ValueError as e:
            raise Invalid(f"{u[:80]!r} is not a valid IRI ({e})") from None
        return u

    def schema(self):
        return {"type": "string", "pattern": "^https?://[^\\s<>\"{}|\\\\^`]+$", "maxLength": 2000}


@dataclass(frozen=True)
class Number(Type):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            hint = " (write 7526.671, not '7526,671')" if isinstance(v, str) and re.search(r"\d,\d", v) else \
                " (write it without quotes)"
            raise Invalid(f"{str(v)[:40]!r} is not a number{hint}")
        if isinstance(v, float) and not math.isfinite(v):
            raise Invalid(f"{v} is not a finite number (write the figure itself)")
        if self.integer and not isinstance(v, int):
            raise Invalid(f"{v} is not a whole number (write it without a decimal point)")
        if abs(v) > 1e15:
            raise Invalid(f"{v} is beyond 10^15, larger than any figure oretrace takes (check the unit)")
        if self.minimum is not None and v < self.minimum:
            raise Invalid(f"{v} is below {self.minimum:g} (figures are magnitudes: give the size; the measure says "
                          "which way it goes)" if self.minimum == 0 else f"{v} is below {self.minimum:g} (give at least "
                          f"{self.minimum:g})")
        if self.maximum is not None and v > self.maximum:
            raise Invalid(f"{v} is above {self.maximum:g} (give at most {self.maximum:g})")
        return v

    def schema(self):
        s = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return s


@dataclass(frozen=True)
class Boolean(Type):
    def parse(self, v):
        if not isinstance(v, bool):
            raise Invalid(f"must be true or false, not {str(v)[:40]!r} (write true or false without quotes)")
        return v

    def schema(self):
        return {"type": "boolean"}


@dataclass(frozen=True)
class Choice(Type):
    values: tuple[str, ...] = ()

    def parse(self, v):
        if v not in self.values:
            raise Invalid(f"unknown {self.name.replace('-', ' ')} {str(v)[:60]!r} (use one of {', '.join(self.values)})")
        return v

    def schema(self):
        return {"enum": list(self.values)}


PAGE = re.compile(r"(?P<a>[0-9]{1,5})(?:\s*[-\u2013\u2014]\s*(?P<b>[0-9]{1,5}))?|(?P<r>[ivxlcdm]{1,8})")


@dataclass(frozen=True)
class Page(Type):
    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise Invalid(f"page {v!r} is not a page number (write page: 12, or page: 12-13)")
        s = str(v).strip()
        m = PAGE.fullmatch(s)
        if not m:
            raise Invalid(f"page {s[:40]!r} is not a page number or range (write page: 12 or page: 12-13, "
                          "without 'p.'; put other locators under their own keys)")
        if m.group("r"):
            return m.group("r")
        a, b = int(m.group("a")), m.group("b")
        if a < 1:
            raise Invalid(f"page {a} does not exist (pages count from 1)")
        if b is not None:
            if int(b) < a:
                raise Invalid(f"page range {s!r} runs backwards (write the first page first)")
            return f"{a}-{int(b)}" if int(b) != a else str(a)
        return str(a)

    def schema(self):
        return {"oneOf": [{"type": "integer", "minimum": 1},
                          {"type": "string", "pattern": "^(?:[0-9]{1,5}(?:\\s*[-\u2013\u2014]\\s*[0-9]{1,5})?|[ivxlcdm]{1,8})$"}]}

