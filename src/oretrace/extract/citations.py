"""In-text citations: "(Eurostat, 2020)", "(UNEP, 2013; EC, 2020)", "(MMM, 2019 - see Figure 1a)",
"Ishihara et al. 2011", "according to Zapata (2018)". Each is matched to a source the curated
files know (its cited_as, creators, or publisher's names, and year), or proposed as a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mentions import norm, slugify
from .model import unique
from .registry import Registry

YEAR = r"(?:1[6-9]|20)\d\d[a-z]?"
YEARS = rf"{YEAR}(?:\s*[-\u2013/]\s*(?:{YEAR}|\d\d))?"
AUTHOR = (r"(?:[A-Z][\w'\u2019.\-]*|de|van|von|der|la|le|du|da|dos|del)"
          r"(?:\s+(?:[A-Z][\w'\u2019.\-]*|I{1,3}|IV|de|van|von|der|la|le|du|da|dos|del))*")
AUTHORS = rf"{AUTHOR}(?:\s*(?:,|and|&)\s*{AUTHOR})*(?:\s+et\s+al\.?)?"
PART = re.compile(rf"^\s*(?:see\s+(?:also\s+)?|cf\.\s+|e\.g\.,?\s+)?(?P<auth>{AUTHORS})\s*,?\s+(?P<year>{YEARS})\b(?P<rest>.*)$",
                  re.S)
PAREN = re.compile(r"\(([^()]{3,300})\)")
NARRATIVE = re.compile(rf"(?P<auth>{AUTHORS})\s+\((?P<year>{YEARS})\)|(?P<auth2>{AUTHOR}\s+et\s+al\.?),?\s+(?P<year2>{YEARS})\b")
_NOT_AUTHOR = re.compile(r"^(?:figure|fig|table|tab|section|chapter|page|january|february|march|april|may|june|july|"
                         r"august|september|october|november|december|in|since|from|until|by|law|act|decree|the|"
                         r"about|around|data|year|years|source|sources|note|see)\b", re.I)


@dataclass
class Citation:
    page: int
    start: int  # page offsets of the citation text (one part of a parenthesis)
    end: int
    author: str
    year: str  # as printed: 2020, 2013-2019, 2011a
    text: str  # normalised "Author, 2020"
    source: str | None = None  # the matched or proposed source id
    score: float = 0.0
    new: bool = False

    @property
    def first_year(self) -> int:
        return int(self.year[:4])

    @property
    def period(self) -> tuple[int, int] | None:
        m = re.match(r"^(\d{4})\s*[-\u2013/]\s*(\d{2,4})$", self.year)
        if not m:
            return None
        a, b = int(m.group(1)), m.group(2)
        bb = int(b) if len(b) == 4 else int(str(a)[:2] + b)
        return (a, bb) if bb > a else None


def find(text: str, page: int, offset: int) -> list[Citation]:
    out: list[Citation] = []
    for pm in PAREN.finditer(text):
        inner = pm.group(1)
        pos = pm.start(1)
        for part in re.split(r";", inner):
            ps = pos
            pos += len(part) + 1
            m = PART.match(part)
            if not m:
                continue
            auth = " ".join(m.group("auth").split()).strip(" ,")
            if not _author_ok(auth):
                continue
            year = re.sub(r"\s+", "", m.group("year"))
            s = ps + m.start("auth")
            e = ps + m.end("year")
            out.append(Citation(page, offset + s, offset + e, auth, year, f"{auth}, {year}"))
    taken = [(c.start - offset, c.end - offset) for c in out]
    for m in NARRATIVE.finditer(text):
        if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
            continue
        g_auth, g_year = ("auth", "year") if m.group("auth") else ("auth2", "year2")
        auth = " ".join(m.group(g_auth).split())
        # "According to Zapata (2018)": keep the last capitalised run as the author
        words = auth.split()
        while words and _NOT_AUTHOR.match(words[0]):
            words = words[1:]
        auth = " ".join(words)
        if not _author_ok(auth):
            continue
        s = m.start(g_auth) + m.group(g_auth).find(words[0]) if words else m.start()
        end = m.end(g_year) + (1 if g_year == "year" else 0)
        out.append(Citation(page, offset + s, offset + end, auth, re.sub(r"\s+", "", m.group(g_year)),
                            f"{auth}, {m.group(g_year)}"))
    return sorted(out, key=lambda c: c.start)


def _author_ok(auth: str) -> bool:
    if not auth or _NOT_AUTHOR.match(auth) or len(auth.split()) > 8:
        return False
    if not re.match(r"^[A-Z]", auth):
        return False
    return True


def _author_key(s: str) -> str:
    s = re.sub(r"\bet\s+al\.?", "", s)
    s = re.sub(r"\((?:also|or)[^)]*\)", "", s)
    return norm(s)


def match(c: Citation, reg: Registry, source_id: str) -> tuple[str | None, float]:
    """The known source this citation names, and how sure: year equal, names alike."""
    from rapidfuzz import fuzz

    best, best_score = None, 0.0
    akey = _author_key(c.author)
    for sid, src in reg.sources.items():
        if src.id == source_id:
            continue
        years = {str(y) for y in (src.year, src.year_not_before) if y}
        cited_year = re.search(rf"{YEARS}", src.cited_as or "")
        if cited_year:
            years.add(re.sub(r"\s+", "", cited_year.group(0)))
        if c.year not in years and c.year[:4] not in years:
            continue
        names = []
        if src.cited_as:
            for alt in re.split(r"\(also|\bor\b", src.cited_as):
                names.append(_author_key(re.sub(rf",?\s*{YEARS}.*$", "", alt)))
        names += [_author_key(x) for x in src.creators]
        for p in src.publishers:
            e = reg.entities.get(p)
            if e:
                names += [_author_key(e.label)] + [_author_key(a) for a in e.alt_labels]
        names = [n for n in names if n]
        if not names:
            continue
        score = max(fuzz.token_set_ratio(akey, n) if min(len(akey), len(n)) > 3 else (100 if akey == n else 0)
                    for n in names)
        if c.year != (re.sub(r"\s+", "", cited_year.group(0)) if cited_year else str(src.year)):
            score -= 5  # a range cited by its first year, or a lower bound only
        own = 3 if src.described_by == source_id else 0
        if score + own > best_score:
            best, best_score = sid, score + own
    if best and best_score >= 85:
        return best, min(1.0, best_score / 100)
    return None, 0.0


def new_source_id(c: Citation, reg: Registry, taken: set[str]) -> str:
    head = _author_key(c.author).split()
    base = slugify(" ".join(head[:2] if len(head) > 1 and len(head[0]) <= 3 else head[:1])) or "source"
    return unique(f"{base}-{slugify(c.year)}", set(reg.sources) | set(taken))


def source_entry(c: Citation, sid: str, reg: Registry, locator: dict) -> dict:
    """A cited source entry in the curated format, from what the citation says."""
    from .mentions import norm as _n

    entry: dict = {"id": sid, "a": "Report", "cited_as": c.text}
    # an author that is a known actor (Eurostat, USGS) is the publisher
    akey = _author_key(c.author)
    pub = None
    for ref, e in reg.entities.items():
        if e.kind != "actor":
            continue
        if akey and (akey == _n(e.label) or akey in {_n(a) for a in e.alt_labels}):
            pub = ref
            if any(cl in ("StatisticsAgency",) for cl in e.classes):
                entry["a"] = "Statistic"
            break
    if pub:
        entry["publisher"] = pub
    else:
        entry["creator"] = [c.author]
    if c.period:
        entry["year_not_before"] = c.period[1]
    else:
        entry["year"] = c.first_year
    entry["at"] = locator
    return entry
