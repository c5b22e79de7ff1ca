"""Numbers as documents print them: English and European notations, number words, fractions.

`1,250,000` and `18.150.000` are thousands; `46236,373` and `36868.26` carry decimals. A token
that reads both ways (`150.000`, `1,250`) takes the document's notation, decided by the
tokens that read one way only (`notation(texts)`); a percentage that would exceed 100 as
thousands is a decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# a digit run with optional grouping (comma, dot, thin or no-break space) and decimals
NUMBER = re.compile(
    r"(?<![\w.,/])(?:\d{1,3}(?:(?P<g>[.,\u202f\u00a0\u2009])\d{3})(?:(?P=g)\d{3})*(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\d])")
_LABEL_BEFORE = re.compile(r"(?:figure|fig\.|table|tab\.|section|chapter|annex|appendix|§|no\.|n°|nº|art\.|article|page|p\.|pp\.)\s*$",
                           re.I)

_SMALL = {"zero": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALE = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
WORD_NUMBER = re.compile(
    r"\b(?:(?:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"(?:\s+(?:hundred|thousand|million|billion)(?:\s+(?:and\s+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)?)*"
    r"|zero|nil)\b", re.I)
FRACTION = re.compile(r"(?<![\w/.,])(\d{1,2})\s?/\s?(\d{1,3})(?:th|ths|rd|rds|nd|st)?\b(?![/\d])")
_FRACTION_WORDS = {"half": (1, 2), "a half": (1, 2), "one half": (1, 2), "a third": (1, 3), "one third": (1, 3),
                   "two thirds": (2, 3), "a quarter": (1, 4), "one quarter": (1, 4), "three quarters": (3, 4),
                   "a fifth": (1, 5), "one fifth": (1, 5), "a tenth": (1, 10), "one tenth": (1, 10),
                   "nine tenths": (9, 10)}
FRACTION_WORDS = re.compile(r"\b(" + "|".join(sorted((k.replace(" ", r"[- ]") for k in _FRACTION_WORDS), key=len,
                                                      reverse=True)) + r")\b", re.I)
SCALE_AFTER = re.compile(r"^\s*(million|billion|thousand|mn|bn|mio\.?|mrd\.?)\b", re.I)
_SCALE_AFTER = {"million": 10**6, "mn": 10**6, "mio": 10**6, "mio.": 10**6, "billion": 10**9, "bn": 10**9,
                "mrd": 10**9, "mrd.": 10**9, "thousand": 1000}


@dataclass(frozen=True)
class Num:
    value: Decimal
    start: int
    end: int
    text: str
    kind: str = "digits"  # digits, words, fraction
    ambiguous: bool = False  # read by the document's notation


def _groups_ok(parts: list[str]) -> bool:
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def read_digits(tok: str, decimal: str = ".") -> tuple[Decimal | None, bool]:
    """The value of a digit token, and whether the document's notation decided it."""
    t = re.sub(r"[\u202f\u00a0\u2009]", " ", tok)
    if " " in t:
        parts = t.split(" ")
        last = parts[-1]
        dec = ""
        m = re.match(r"^(\d{3})([.,]\d+)$", last)
        if m:
            parts[-1], dec = m.group(1), "." + m.group(2)[1:]
        if not _groups_ok(parts):
            return None, False
        return _dec("".join(parts) + dec), False
    has_c, has_d = "," in t, "." in t
    if not has_c and not has_d:
        return _dec(t), False
    if has_c and has_d:
        last = max(t.rfind(","), t.rfind("."))
        dec_sep = t[last]
        grp_sep = "." if dec_sep == "," else ","
        head, tail = t[:last], t[last + 1:]
        parts = head.split(grp_sep)
        if dec_sep in head or not _groups_ok(parts):
            return None, False
        return _dec("".join(parts) + "." + tail), False
    sep = "," if has_c else "."
    parts = t.split(sep)
    if len(parts) > 2:
        if not _groups_ok(parts):
            return None, False
        return _dec("".join(parts)), False
    head, tail = parts
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        # 150.000 / 1,250: thousands or decimals, as the document writes them
        if sep == decimal:
            return _dec(head + "." + tail), True
        return _dec(head + tail), True
    return _dec(head + "." + tail), False


def _dec(s: str) -> Decimal | None:
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def notation(texts) -> str:
    """'.' or ',': the decimal mark of a document, from the tokens that read one way only."""
    en = eu = 0
    for text in texts:
        for m in NUMBER.finditer(text):
            tok = m.group(0)
            if _LABEL_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
                continue
            if re.search(r"[\u202f\u00a0\u2009]", tok):
                continue
            has_c, has_d = "," in tok, "." in tok
            if has_c and has_d:
                if tok.rfind(",") > tok.rfind("."):
                    eu += 1
                else:
                    en += 1
                continue
            if not (has_c or has_d):
                continue
            sep = "," if has_c else "."
            parts = tok.split(sep)
            if len(parts) > 2:
                if _groups_ok(parts):
                    en += sep == ","
                    eu += sep == "."
                continue
            head, tail = parts
            if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
                continue  # reads both ways
            if sep == ",":
                eu += 1
            else:
                en += 1
    return "," if eu > en else "."


def word_value(text: str) -> Decimal | None:
    words = re.split(r"[\s-]+", text.lower().strip())
    if words == ["nil"] or words == ["zero"]:
        return Decimal(0)
    total, current = 0, 0
    seen = False
    for w in words:
        if w == "and":
            continue
        if w == "a":
            current = 1
            seen = True
        elif w in _SMALL:
            current += _SMALL[w]
            seen = True
        elif w in _TENS:
            current += _TENS[w]
            seen = True
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALE:
            total += max(current, 1) * _SCALE[w]
            current = 0
        else:
            return None
    if not seen:
        return None
    return Decimal(total + current)


def find_numbers(text: str, decimal: str = ".") -> list[Num]:
    """Every number in `text`: digits (with a scale word after: 1.5 million), number words, fractions."""
    out: list[Num] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in FRACTION.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if 0 < a < b <= 100:
            # a date (3/4/2020) or a ratio of codes is not a fraction
            after = text[m.end():m.end() + 2]
            if re.match(r"/\d", after):
                continue
            out.append(Num(Decimal(a) / Decimal(b), m.start(), m.end(), m.group(0), "fraction"))
            taken.append((m.start(), m.end()))
    for m in FRACTION_WORDS.finditer(text):
        if free(m.start(), m.end()):
            key = re.sub(r"[- ]+", " ", m.group(1).lower())
            a, b = _FRACTION_WORDS[key]
            out.append(Num(Decimal(a) / Decimal(b), m.start(), m.end(), m.group(0), "fraction"))
            taken.append((m.start(), m.end()))
    for m in NUMBER.finditer(text):
        if not free(m.start(), m.end()):
            continue
        value, amb = read_digits(m.group(0), decimal)
        if value is None:
            continue
        end = m.end()
        sm = SCALE_AFTER.match(text[end:])
        if sm:
            value = value * _SCALE_AFTER[sm.group(1).lower()]
            end += sm.end()
        out.append(Num(value, m.start(), end, text[m.start():end], "digits", amb))
        taken.append((m.start(), end))
    for m in WORD_NUMBER.finditer(text):
        if not free(m.start(), m.end()):
            continue
        tok = m.group(0)  # 'a' and 'one' count only with a unit after them (the figure finder checks)
        v = word_value(tok)
        if v is None:
            continue
        out.append(Num(v, m.start(), m.end(), tok, "words"))
        taken.append((m.start(), m.end()))
    out.sort(key=lambda n: n.start)
    return out


def plain(value: Decimal) -> int | float:
    """A Decimal as the YAML number a curator would type: int when whole, else float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def display(value: Decimal | float | int) -> str:
    """A value for a generated paraphrase: 7,526.671 / 18,150,000 / 0.5."""
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    s = format(d.normalize(), "f")
    head, _, tail = s.partition(".")
    return f"{int(head):,}" + ("." + tail if tail else "")
