"""Entity mentions: linked to the project's entities by label, alternative label, ISO country
name, other spellings or demonym, with fuzzy matching for misspellings (rapidfuzz); names that
match nothing but carry a cue of their kind (`... mine`, `S.A.`, `cooperative ...`, `vessel
...`) are proposed as new entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import wordlists
from .registry import Registry, countries, fold, regions

TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
MAX_NGRAM = 8
FUZZY_CUTOFF = 90
_CONNECT = {"of", "de", "del", "la", "los", "las", "the", "du", "des", "van", "von", "der"}
_STOP_CAPS = {
    "the", "a", "an", "in", "on", "at", "for", "to", "of", "and", "or", "but", "if", "as", "by", "from", "with",
    "this", "that", "these", "those", "it", "its", "they", "their", "there", "here", "however", "although", "since",
    "while", "when", "where", "which", "who", "what", "according", "based", "due", "thanks", "currently", "today",
    "before", "after", "during", "every", "each", "all", "both", "most", "many", "some", "no", "not", "only",
    "also", "further", "figure", "table", "fig", "source", "sources", "note", "notes", "see", "read", "page",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mr", "mrs", "dr", "et", "al", "ie", "eg", "i", "we", "you", "he", "she", "our", "my", "his", "her",
    "therefore", "thus", "hence", "moreover", "furthermore", "indeed", "even", "yet", "so", "then", "than",
    "considering", "taking", "following", "including", "despite", "because", "once", "until", "unless",
    "whether", "either", "neither", "nor", "such", "other", "another", "one", "two", "three", "first",
    "second", "third", "last", "next", "new", "old", "minor", "major", "main", "total", "annual", "export",
    "exports", "import", "imports", "production", "miners", "mining", "minerals", "mineral", "ores", "ore",
}


def _read_cues() -> dict[str, list[tuple[re.Pattern, str, str]]]:
    """Words beside or inside a name that tell what kind of thing it names (words/name-cues.tsv):
    (compiled pattern, kind, class) for each position, in the list's order."""
    cues: dict[str, list[tuple[re.Pattern, str, str]]] = {"inside": [], "after": [], "before": []}
    for pos, rx, kind, cls in wordlists.read("name-cues", ("position", "pattern", "kind", "class")):
        if pos not in cues:
            raise wordlists.WordListError(f"{wordlists.WORDS / 'name-cues.tsv'}: position {pos!r} is not one of "
                                          f"{', '.join(cues)}")
        # inside: searched in the name as written; after: right after it, past white space; before: ending the
        # words before it (both case-insensitive)
        cues[pos].append((re.compile(r"\s+(" + rx.pattern + ")", re.I) if pos == "after"
                          else re.compile(rx.pattern, re.I) if pos == "before" else rx, kind, cls))
    return cues


_CUES = _read_cues()


@dataclass
class Mention:
    page: int
    start: int  # page offsets
    end: int
    text: str
    ref: str  # kind/slug, a country/region code ref, or an ontology individual (Indium)
    kind: str
    score: float
    by: str  # label, alt-label, iso-name, spelling, demonym, element, fuzzy, proposed
    new: dict | None = None  # fields of a proposed entity


@dataclass
class Gazetteer:
    keys: dict[str, list[tuple[str, str, str, str | None]]] = field(default_factory=dict)
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_refs: list[tuple[str, str, str]] = field(default_factory=list)


def norm(s: str) -> str:
    return " ".join(t.lower() for _, _, t in _tokens(s if s.isascii() else fold(s)))


def _aliases(label: str) -> list[str]:
    out = [label]
    bare = re.sub(r"\s*\([^)]*\)", "", label).strip()
    if bare and bare != label:
        out.append(bare)
    return out


def build(reg: Registry) -> Gazetteer:
    g = Gazetteer()

    def add(alias: str, ref: str, kind: str, by: str, exact_case: bool = False):
        key = norm(alias)
        if not key or len(key) < 2:
            return
        case = alias if (exact_case or (alias.isupper() and len(alias) <= 6)) else None
        lst = g.keys.setdefault(key, [])
        if not any(r == ref for r, *_ in lst):
            lst.append((ref, kind, by, case))
        if alias[:1].isupper() and len(key) >= 5 and by in ("label", "alt-label", "iso-name", "spelling", "demonym"):
            g.fuzzy_keys.append(key)
            g.fuzzy_refs.append((ref, kind, by))

    for ref, e in reg.entities.items():
        if e.kind in ("source", "observation", "flow", "process", "risk", "curator", "royalty") or not e.label:
            continue
        for a in _aliases(e.label):
            add(a, ref, e.kind, "label")
        for alt in e.alt_labels:
            for a in _aliases(alt):
                add(a, ref, e.kind, "alt-label")
    c = countries()
    for name, code in c["names"].items():
        add(name.title() if name.islower() else name, f"country/{code}", "country", "iso-name")
    for form, code in c["exact"].items():
        by = "demonym" if form[:1].isupper() and form[1:].islower() and len(form) > 3 else "spelling"
        add(form, f"country/{code}", "country", by, exact_case=True)
    for name, local in reg.elements.items():
        add(name, local, "element", "element")
    return g


def _tokens(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in TOKEN.finditer(text):
        t, e = m.group(0), m.end()
        if len(t) > 2 and t[-2] in "'\u2019" and t[-1] in "sS":  # a possessive: Nyrstar's
            t, e = t[:-2], e - 2
        out.append((m.start(), e, t))
    return out


def find(text: str, page: int, offset: int, gaz: Gazetteer, reg: Registry, doc_countries: set[str] | None = None,
         sentence_starts: set[int] | None = None) -> list[Mention]:
    """Mentions in one analysis text (a block), with page offsets."""
    toks = _tokens(text)
    folded = [(t if t.isascii() else fold(t)).lower() for _, _, t in toks]
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(MAX_NGRAM, len(toks) - i), 0, -1):
            key = " ".join(folded[i:i + n]) if n > 1 else folded[i]
            cands = gaz.keys.get(key)
            if not cands:
                continue
            s, e = toks[i][0], toks[i + n - 1][1]
            # a name runs over plain spacing and hyphens only, not over a full stop or comma
            if n > 1 and re.search(r"[,;:\u2013\u2014]\s|(?<![A-Z])\.\s", text[s:e]):
                continue
            surface = text[s:e]
            for ref, kind, by, case in cands:
                if case is not None and surface.replace("\u2019", "'") != case:
                    continue
                if kind == "country" and by == "iso-name" and not surface[:1].isupper():
                    continue
                if kind in ("actor", "site", "place", "vessel", "project", "law") and by in ("label", "alt-label") \
                        and n == 1 and surface[:1].islower() and not _lower_ok(reg, ref):
                    continue
                hit = (n, ref, kind, by)
                break
            if hit:
                break
        if hit:
            n, ref, kind, by = hit
            s, e = toks[i][0], toks[i + n - 1][1]
            if kind == "element" and not _element_context(text, s, e):
                i += 1
                continue
            score = {"label": 0.95, "alt-label": 0.9, "iso-name": 0.95, "spelling": 0.9, "demonym": 0.85,
                     "element": 0.8}.get(by, 0.8)
            out.append(Mention(page, offset + s, offset + e, text[s:e], ref, kind, score, by))
            i += n
            continue
        i += 1
    out += _regions(text, page, offset, toks, out, doc_countries or set())
    return sorted(out, key=lambda m: m.start)


def _lower_ok(reg: Registry, ref: str) -> bool:
    e = reg.entities.get(ref)
    return bool(e and e.label and e.label[:1].islower())


def _element_context(text: str, s: int, e: int) -> bool:
    """'lead' and 'tin' are words too: an element name counts when it is not a verb or a noun
    of another sense (lead to, take the lead, tin can)."""
    w = text[s:e].lower()
    if w == "lead":
        after = text[e:e + 20].lower()
        before = text[max(0, s - 12):s].lower()
        if re.match(r"\s+(?:to|the|a|an|in|on|by|them|us|it)\b", after) or re.search(r"\b(?:the|to|will|would|can|may)\s+$", before):
            return False
    return True


def _regions(text, page, offset, toks, found, doc_countries) -> list[Mention]:
    """ISO 3166-2 subdivisions named in the text, when their country is named in the document."""
    if not doc_countries:
        return []
    taken = [(m.start - offset, m.end - offset) for m in found]
    reg_names = regions()
    out = []
    codes = {c.split("/", 1)[1] for c in doc_countries}
    for i, (s, e, t) in enumerate(toks):
        if not t[:1].isupper():
            continue
        for n in (3, 2, 1):
            if i + n > len(toks):
                continue
            s2, e2 = toks[i][0], toks[i + n - 1][1]
            if any(not (e2 <= a or s2 >= b) for a, b in taken):
                continue
            key = norm(text[s2:e2])
            for code in reg_names.get(key, []):
                if code.split("-")[0] in codes:
                    out.append(Mention(page, offset + s2, offset + e2, text[s2:e2], f"region/{code}", "region", 0.8,
                                       "iso-name"))
                    taken.append((s2, e2))
                    break
            else:
                continue
            break
    return out


def fuzzy(text: str, page: int, offset: int, gaz: Gazetteer, found: list[Mention],
          sentence_starts: set[int]) -> list[Mention]:
    """Capitalised names that match no entity exactly, matched against proper names with
    rapidfuzz (misspellings: Bolivan -> Bolivian, Nystar -> Nyrstar)."""
    from rapidfuzz import fuzz, process

    # a capitalised element name may be part of a name ("Nordic Zinc"): it does not block a match
    taken = [(m.start - offset, m.end - offset) for m in found if not (m.kind == "element" and m.text[:1].isupper())]
    out = []
    for s, e, phrase in capitalised_phrases(text, sentence_starts):
        if any(not (e <= a or s >= b) for a, b in taken):
            continue
        key = norm(phrase)
        if len(key) < 5 or key in _STOP_CAPS:
            continue
        best = process.extractOne(key, gaz.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if not best:
            continue
        _, score, idx = best
        ref, kind, by = gaz.fuzzy_refs[idx]
        # one letter's difference in a short word is another word (Bolivia/Bolivar)
        if len(key) < 8 and score < 92:
            continue
        out.append(Mention(page, offset + s, offset + e, phrase, ref, kind, round(0.6 * score / 100, 3), "fuzzy"))
        taken.append((s, e))
    return out


def capitalised_phrases(text: str, sentence_starts: set[int]) -> list[tuple[int, int, str]]:
    """Runs of capitalised words (with 'of', 'de', '&' inside), not counting a lone sentence-initial
    common word."""
    toks = _tokens(text)
    out = []
    i = 0
    while i < len(toks):
        s, e, t = toks[i]
        if not t[:1].isupper():
            i += 1
            continue
        j = i + 1
        while j < len(toks):
            gap = text[toks[j - 1][1]:toks[j][0]]
            if re.search(r"[,;:()\u2013\u2014/]|\.\s", gap) or "\n" in gap or len(gap) > 3:
                break
            tj = toks[j][2]
            if tj[:1].isupper():
                j += 1
            elif tj.lower() in _CONNECT and j + 1 < len(toks) and toks[j + 1][2][:1].isupper() and \
                    not re.search(r"[,;:()]", text[toks[j][1]:toks[j + 1][0]]):
                j += 1
            else:
                break
        s2, e2 = toks[i][0], toks[j - 1][1]
        # include a trailing "S.A." style abbreviation's dots
        m = re.match(r"\.", text[e2:e2 + 1])
        if m and re.search(r"\b[A-Z]\.[A-Z]$", text[s2:e2]):
            e2 += 1
        words = text[s2:e2].split()
        if words and words[0].lower() in _STOP_CAPS:
            if len(words) == 1:
                i = j
                continue
            # drop the sentence-initial function word
            k = i + 1
            s2 = toks[k][0] if k < j else s2
        if s2 in sentence_starts and len(text[s2:e2].split()) == 1 and text[s2:e2].lower() in _STOP_CAPS:
            i = j
            continue
        out.append((s2, e2, text[s2:e2]))
        i = j
    return out


def propose(text: str, page: int, offset: int, found: list[Mention], sentence_starts: set[int],
            reg: Registry) -> list[Mention]:
    """Names that match nothing, with a cue of their kind: proposed as new entities."""
    taken = [(m.start - offset, m.end - offset) for m in found]
    out = []
    for s, e, phrase in capitalised_phrases(text, sentence_starts):
        if any(not (e <= a or s >= b) for a, b in taken):
            continue
        words = phrase.split()
        if not words or (len(words) == 1 and (s in sentence_starts or words[0].lower() in _STOP_CAPS)):
            continue
        if all(w.lower() in _STOP_CAPS or w.lower() in _CONNECT for w in words):
            continue
        kind = cls = None
        label = phrase
        ls, le = s, e
        after = text[e:e + 40]
        before = text[max(0, s - 30):s]
        for rx, k, c in _CUES["inside"]:
            if rx.search(phrase):
                kind, cls = k, c
                break
        if kind is None:
            for rx, k, c in _CUES["after"]:
                m = rx.match(after)
                if m and not re.match(r"\s+[A-Z]", after[m.end():m.end() + 2] or " x"):
                    kind, cls = k, c
                    if k in ("site", "place", "law") and m.group(1).lower() not in ("plant", "complex", "works", "facility"):
                        label = phrase + " " + m.group(1)
                        le = e + m.end()
                    elif k == "site":
                        label = phrase + " " + m.group(1)
                        le = e + m.end()
                    break
        if kind is None:
            for rx, k, c in _CUES["before"]:
                if rx.search(before):
                    kind, cls = k, c
                    break
        if kind is None:
            continue
        label = " ".join(label.split())
        slug = slugify(label)
        if not slug:
            continue
        ref = f"{kind}/{slug}"
        if ref in reg.entities:
            out.append(Mention(page, offset + ls, offset + le, text[ls:le], ref, kind, 0.8, "label"))
            taken.append((ls, le))
            continue
        new = {"id": ref, "a": cls, "label": label}
        m = re.match(r"\s*\(([^()]{2,40})\)", text[le:le + 45])
        if m:
            inner = m.group(1).strip()
            code = countries()["names"].get(fold(inner).lower()) or countries()["exact"].get(inner)
            if code:
                new["country"] = f"country/{code}"
            elif re.fullmatch(r"[A-Z]{2,6}", inner):
                new["alt_label"] = inner
        out.append(Mention(page, offset + ls, offset + le, text[ls:le], ref, kind, 0.5, "proposed", new))
        taken.append((ls, le))
    return out


def slugify(s: str) -> str:
    t = fold(s).lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return re.sub(r"-{2,}", "-", t)[:60].strip("-")
