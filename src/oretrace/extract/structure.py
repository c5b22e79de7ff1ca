"""The layout of each page: headings, paragraphs, figure and table captions, footnotes, tables.

A page's text is cut into blocks separated by blank lines; each block is classified by its
shape alone (no document-specific rule). Every block keeps its character offsets into the page,
so each fact found in it can point back to its span. For analysis a block's text has line
breaks and footnote markers (`mine1`, `in 20137` where footnote 7 exists) blanked out with
spaces of the same length, so offsets stay valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .document import Document

CAPTION = re.compile(
    r"^\s*(?P<kind>figure|fig\.?|table|tab\.|chart|graph|map|photo|box|exhibit|plate|illustration)\s*"
    r"(?P<num>\d{1,3}(?:\.\d{1,2})?[a-z]?|[IVX]{1,5})\s*(?:[:.\-\u2013\u2014)]|$)", re.I)
SUPERSCRIPT = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_SUP_VALUE = {c: str(i) for c, i in zip(SUPERSCRIPT, (1, 2, 3, 0, 4, 5, 6, 7, 8, 9))}
FOOTNOTE = re.compile(r"^\s*(?P<n>\d{1,3}|[" + SUPERSCRIPT + r"]{1,3})[ \t]+(?=[A-Z\"\u201c\u2018'(\u00c0-\u00dd])")
PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?\s*$", re.I)
URL_LINE = re.compile(r"^\s*(?:(?:https?://|www\.)\S+|[\w.-]+/[\w./%?=&#~-]{15,})\s*$", re.I)
YEAR_TOKEN = re.compile(r"^(?:(?:1[89]|20)\d\d|['\u2019\u2018]\d\d)(?:[a-z]{1,2}|[*\u2020]|\(\w{1,2}\))?$")
_ABBREV = {"e.g", "i.e", "al", "s.a", "max", "min", "approx", "fig", "no", "nos", "u.s", "mr", "mrs", "dr", "st",
           "co", "inc", "ltd", "vs", "ca", "cf", "resp", "incl", "excl", "vol", "p", "pp", "ed", "eds", "dept",
           "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "n°",
           "corp", "bros", "s.a.s", "n.v", "b.v", "ag", "approx", "av", "para", "sec", "art", "tab"}


@dataclass
class Block:
    page: int
    start: int
    end: int
    kind: str  # heading, paragraph, caption, footnote, table, label, page-number, url
    text: str  # analysis text (same length as the span)
    section: str | None = None
    paragraph: int | None = None
    figure: str | None = None  # number of a caption's figure, or of the figure a table or label sits in
    table: str | None = None  # a table's number or caption
    footnote: str | None = None
    level: int = 0  # heading level (0 when guessed from the shape)
    lines: list[tuple[int, int]] = field(default_factory=list)  # page offsets of each line

    def locator(self) -> dict:
        loc: dict = {}
        if self.kind == "caption":
            loc["figure" if self.figure else "table"] = self.figure or self.table
            return loc
        if self.section:
            loc["section"] = self.section
        if self.kind == "footnote" and self.footnote:
            loc["footnote"] = self.footnote
        elif self.kind == "paragraph" and self.paragraph:
            loc["paragraph"] = str(self.paragraph)
        if self.figure and self.kind in ("table", "label"):
            loc["figure"] = self.figure
        if self.table and self.kind in ("table", "label"):
            loc["table"] = self.table
        return loc


@dataclass
class Sentence:
    block: Block
    start: int  # page offsets
    end: int
    text: str  # analysis text

    @property
    def page(self) -> int:
        return self.block.page


@dataclass
class Layout:
    blocks: list[Block]
    footnotes: dict[str, Block]  # number -> footnote block
    markers: dict[str, list[tuple[int, int]]]  # footnote number -> (page, offset) of its markers in the text
    title: str | None = None

    def sentences(self, block: Block) -> list[Sentence]:
        return split_sentences(block)


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for ln in text.split("\n"):
        out.append((pos, pos + len(ln)))
        pos += len(ln) + 1
    return out


def _chunks(text: str) -> list[list[tuple[int, int]]]:
    chunks, cur = [], []
    for s, e in _lines(text):
        if text[s:e].strip():
            cur.append((s, e))
        elif cur:
            chunks.append(cur)
            cur = []
    if cur:
        chunks.append(cur)
    return chunks


def is_value_token(tok: str) -> bool:
    t = tok.strip("()[]*\u2020")
    if t in ("-", "\u2013", "\u2014", "--", "NA", "W", "n.a.", "na", "n/a", "X", "XX", "(D)", "D", "..", "\u2026", "nil"):
        return True
    t = re.sub(r"^[<>~\u2248]", "", t)
    t = re.sub(r"(?<=\d)(e|E|p|r|\*)$", "", t)
    t = re.sub(r"^e(?=\d)", "", t)
    t = t.rstrip("%")
    return bool(re.fullmatch(r"\d{1,3}(?:[.,\u202f\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?", t))


def is_year_header(line: str) -> bool:
    cells = _cells(line)
    years = [c for c in cells if YEAR_TOKEN.match(c)]
    return len(years) >= 2 and len(years) >= 0.5 * len(cells)


def _cells(line: str) -> list[str]:
    if "|" in line:
        return [c.strip() for c in line.strip().strip("|").split("|")]
    if "\t" in line:
        return [c.strip() for c in line.split("\t") if c.strip()]
    return line.split()


def value_tail(cells: list[str]) -> int:
    """How many of a row's last cells are values (numbers, dashes, NA, W)."""
    tail = 0
    for c in reversed(cells):
        if not is_value_token(c):
            break
        tail += 1
    return tail


def is_table_row(line: str) -> bool:
    """A label followed by two or more values, or a row of values."""
    cells = _cells(line)
    if len(cells) < 2:
        return False
    tail = value_tail(cells)
    if tail < 2 or not any(re.search(r"\d", c) for c in cells[len(cells) - tail:]):
        return False
    label_words = _word_count(" ".join(cells[:len(cells) - tail]))
    return label_words <= 10 or tail >= 4


def _word_count(s: str) -> int:
    return len(re.findall(r"[^\W\d_][\w'\u2019&-]*", s))


def _heading_like(text: str) -> bool:
    t = " ".join(text.split())
    if not t or len(t) > 120:
        return False
    words = t.split()
    if not 1 <= len(words) <= 14:
        return False
    if t[-1] in ".:;,!?\u2026" or t.endswith(("\u201d", '"')):
        return False
    if not (t[0].isupper() or re.match(r"^\d+(?:\.\d+)*\s+[A-Z]", t)):
        return False
    if CAPTION.match(t) or URL_LINE.match(t) or PAGE_NUMBER.match(t):
        return False
    alpha = sum(1 for w in words if re.match(r"^[^\W\d_]", w))
    if alpha < 0.6 * len(words):
        return False
    if re.search(r"\d[\d.,]*\s*(?:%|t\b|tonnes?|kg|ppm)", t):
        return False
    return True


def _norm(s: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", s.lower()))


def analyse(doc: Document, title: str | None = None) -> Layout:
    """Blocks of every page, with sections, paragraph numbers and footnote markers."""
    raw: list[Block] = []
    for pg in doc.pages:
        raw.extend(_page_blocks(pg))
    footnotes: dict[str, Block] = {}
    # footnote numbers must be referenced by a marker glued to a word, or run in sequence
    candidates = [b for b in raw if b.kind == "footnote"]
    all_text = {pg.number: pg.text for pg in doc.pages}
    marker_re = {}
    for b in candidates:
        n = b.footnote
        if n in footnotes:
            continue
        pat = marker_re.setdefault(n, re.compile(r"(?<=[^\W\d_]|[)\u2019'\"\u201d%])" + re.escape(n) + r"(?![\d])"))
        glued = any(pat.search(t) for t in all_text.values())
        seq = b.text.startswith(("\u00b9", "\u00b2", "\u00b3")) or getattr(b, "_in_sequence", False)
        if glued or seq or n in "".join(SUPERSCRIPT):
            footnotes[n] = b
        else:
            b.kind = "paragraph"
            b.footnote = None
    markers = _mask_markers(doc, raw, footnotes)
    title = title or doc.meta.get("title")
    _classify_headings(raw, title)
    _number(raw)
    return Layout(raw, footnotes, markers, title)


def _page_blocks(pg) -> list[Block]:
    text = pg.text
    blocks: list[Block] = []
    marked = {}
    for s, e, k in pg.marks:
        marked[(s, e)] = k
    line_kind = {}
    for s, e, k in pg.marks:
        for ls, le in _lines(text):
            if ls <= s < le + 1 or (s <= ls and le <= e):
                if k == "table-row" or k.startswith("heading") or k == "caption":
                    line_kind[(ls, le)] = k
    for chunk in _chunks(text):
        i = 0
        while i < len(chunk):
            s, e = chunk[i]
            line = text[s:e]
            mk = line_kind.get((s, e))
            if mk and mk.startswith("heading"):
                j = i + 1
                while j < len(chunk) and line_kind.get(chunk[j]) == mk:
                    j += 1
                blocks.append(_block(pg, chunk[i:j], "heading", level=int(mk[-1])))
                i = j
                continue
            if mk == "caption" or CAPTION.match(line):
                j = i + 1
                while j < len(chunk) and not re.search(r"[.!?][\"\u201d)]?\s*$", text[chunk[j - 1][0]:chunk[j - 1][1]]) and \
                        not (is_table_row(text[chunk[j][0]:chunk[j][1]]) or
                                              is_year_header(text[chunk[j][0]:chunk[j][1]]) or
                                              FOOTNOTE.match(text[chunk[j][0]:chunk[j][1]]) or
                                              CAPTION.match(text[chunk[j][0]:chunk[j][1]])):
                    j += 1
                b = _block(pg, chunk[i:j], "caption")
                m = CAPTION.match(line)
                if m:
                    num = m.group("num")
                    if m.group("kind").lower().startswith(("tab",)):
                        b.table = num
                    else:
                        b.figure = num
                blocks.append(b)
                i = j
                continue
            if mk == "table-row" or is_table_row(line) or is_year_header(line):
                j = i + 1
                while j < len(chunk):
                    ln = text[chunk[j][0]:chunk[j][1]]
                    if line_kind.get(chunk[j]) == "table-row" or is_table_row(ln) or is_year_header(ln):
                        j += 1
                    elif _short_unit_or_label(ln) and j + 1 < len(chunk) and is_table_row(text[chunk[j + 1][0]:chunk[j + 1][1]]):
                        j += 1  # a units line inside the table
                    else:
                        break
                blocks.append(_block(pg, chunk[i:j], "table"))
                i = j
                continue
            fm = FOOTNOTE.match(line)
            if fm and not is_table_row(line):
                j = i + 1
                while j < len(chunk) and not FOOTNOTE.match(text[chunk[j][0]:chunk[j][1]]) and \
                        not CAPTION.match(text[chunk[j][0]:chunk[j][1]]):
                    j += 1
                b = _block(pg, chunk[i:j], "footnote")
                n = fm.group("n")
                b.footnote = "".join(_SUP_VALUE.get(c, c) for c in n)
                prev = blocks[-1] if blocks else None
                if prev is not None and prev.kind == "footnote" and prev.footnote and prev.footnote.isdigit() and \
                        b.footnote.isdigit() and int(b.footnote) == int(prev.footnote) + 1:
                    b._in_sequence = True  # type: ignore[attr-defined]
                    prev._in_sequence = True  # type: ignore[attr-defined]
                blocks.append(b)
                i = j
                continue
            if PAGE_NUMBER.match(line) and len(chunk) == 1:
                blocks.append(_block(pg, chunk[i:i + 1], "page-number"))
                i += 1
                continue
            if URL_LINE.match(line):
                blocks.append(_block(pg, chunk[i:i + 1], "url"))
                i += 1
                continue
            # prose runs until a line of another kind
            j = i + 1
            while j < len(chunk):
                ln = text[chunk[j][0]:chunk[j][1]]
                if line_kind.get(chunk[j]) or CAPTION.match(ln) or is_table_row(ln) or is_year_header(ln) or \
                        URL_LINE.match(ln) or (FOOTNOTE.match(ln) and _ends_sentence(text[chunk[j - 1][0]:chunk[j - 1][1]])):
                    break
                j += 1
            blocks.append(_block(pg, chunk[i:j], "paragraph"))
            i = j
    return blocks


def _ends_sentence(line: str) -> bool:
    return bool(re.search(r"[.!?:)\u201d\"]\s*$", line.strip()))


def _short_unit_or_label(line: str) -> bool:
    return _word_count(line) <= 8 and not re.search(r"[.!?]\s*$", line.strip())


def _block(pg, lines, kind, level=0) -> Block:
    s, e = lines[0][0], lines[-1][1]
    raw = pg.text[s:e]
    return Block(pg.number, s, e, kind, raw.replace("\n", " ").replace("\t", " "), level=level, lines=list(lines))


def _mask_markers(doc, blocks, footnotes) -> dict[str, list[tuple[int, int]]]:
    """Blank out footnote markers in the analysis text; return where each marker is."""
    markers: dict[str, list[tuple[int, int]]] = {}
    if not footnotes:
        return markers
    nums = sorted(footnotes, key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in nums if n.isdigit())
    sup = "".join(c for c in SUPERSCRIPT)
    glued = re.compile(r"(?<=[^\W\d_]|[)\u2019'\"\u201d%])(" + alt + r")(?=[\s.,;:)\u2019'\"]|$)") if alt else None
    year_glued = re.compile(r"(?<![\d.,])((?:1[89]|20)\d\d)(" + alt + r")(?=[\s.,;:)]|$)") if alt else None
    for b in blocks:
        if b.kind not in ("paragraph", "caption", "heading", "footnote", "label"):
            continue
        t = list(b.text)
        skip_to = 0
        if b.kind == "footnote":
            m = FOOTNOTE.match(b.text)
            skip_to = m.end() if m else 0
        for rx, grp in ((glued, 1), (year_glued, 2)):
            if rx is None:
                continue
            for m in rx.finditer(b.text):
                if m.start(grp) < skip_to:
                    continue
                n = m.group(grp)
                # a unit with a power (km2, m3) or a formula (CO2) is not a marker
                before = b.text[max(0, m.start(grp) - 3):m.start(grp)]
                if grp == 1 and re.search(r"(?:\bkm|\bm|\bcm|CO|SO|NO|H|O|\(OH\))$", before):
                    continue
                for k in range(m.start(grp), m.end(grp)):
                    t[k] = " "
                markers.setdefault(n, []).append((b.page, b.start + m.start(grp)))
        for k, ch in enumerate(t):
            if ch in sup and k >= skip_to:
                n = _SUP_VALUE[ch]
                markers.setdefault(n, []).append((b.page, b.start + k))
                t[k] = " "
        b.text = "".join(t)
    return markers


def _classify_headings(blocks: list[Block], title: str | None = None) -> None:
    """Short stand-alone lines become headings, except chart labels: runs of three or more such
    lines (a legend or a list), a pair right after a caption or right before a table, and a line
    that repeats the document's title (a running header)."""
    cand = []
    norm_title = _norm(title) if title else None
    for i, b in enumerate(blocks):
        if b.kind == "paragraph" and _heading_like(b.text) and len(b.lines) <= 3:
            if norm_title and _norm(b.text) == norm_title:
                b.kind = "label"
                continue
            cand.append(i)
    run: list[int] = []

    def flush():
        if not run:
            return
        first, last = run[0], run[-1]
        after_caption = first > 0 and blocks[first - 1].kind in ("caption",)
        before_table = last + 1 < len(blocks) and blocks[last + 1].kind == "table"
        labels = len(run) >= 3 or (len(run) == 2 and (after_caption or before_table))
        for k in run:
            blocks[k].kind = "label" if labels else "heading"
        run.clear()

    prev_idx = None
    for i in cand:
        if prev_idx is not None and i != prev_idx + 1:
            flush()
        run.append(i)
        prev_idx = i
    flush()
    # a candidate line directly followed by a table is the table's title, not a section
    for i, b in enumerate(blocks[:-1]):
        if b.kind == "heading" and not b.level and blocks[i + 1].kind == "table":
            b.kind = "label"


def _number(blocks: list[Block]) -> None:
    section = None
    para = 0
    figure = table = None
    last_prose: Block | None = None
    for b in blocks:
        if b.kind == "heading":
            section = " ".join(b.text.split())
            para = 0
            figure = None
            continue
        b.section = section
        if b.kind == "caption":
            figure, table = b.figure, b.table
            continue
        if b.kind == "paragraph":
            figure = table = None
            cont = (last_prose is not None and last_prose.page != b.page and
                    not _ends_sentence(last_prose.text) and b.text.lstrip()[:1].islower())
            if not cont:
                para += 1
            b.paragraph = para
            last_prose = b
        elif b.kind in ("table", "label") and b.figure is None and b.table is None:
            b.figure, b.table = figure, table


def split_sentences(block: Block) -> list[Sentence]:
    text = block.text
    out = []
    start = len(text) - len(text.lstrip())
    for m in re.finditer(r"[.!?](?:[\"\u201d\u2019)\]]*)(\s+)(?=[\"\u201c\u2018(\[]?[A-Z0-9\u00c0-\u00dd\u2022])", text):
        cut = m.start()
        word = re.search(r"([\w.\u00b0]+)$", text[start:cut + 1].rstrip("."))
        raw_w = (word.group(1) if word else "").rstrip(".")
        w = raw_w.lower()
        if w in _ABBREV or re.fullmatch(r"[A-Z]", raw_w) or (re.fullmatch(r"\d+", w) and text[cut] == "." and
                                                        re.match(r"\s+\d", text[m.end(1) - 1:])):
            continue
        if re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):  # U.S.A.
            continue
        end = m.start(1)
        if text[start:end].strip():
            out.append(Sentence(block, block.start + start, block.start + end, text[start:end]))
        start = m.end(1)
    if text[start:].strip():
        end = len(text.rstrip())
        out.append(Sentence(block, block.start + start, block.start + end, text[start:end]))
    return out
