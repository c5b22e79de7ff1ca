"""Read a document into pages of text: PDF (page by page), HTML, Markdown and plain text.

The text of each page is what the extractor reads and what every span's character offsets
point into; `read(path)` gives the same pages for the same bytes, so a reviewer's view of a
span (`oretrace proposals show`) is read live from the document and never stored.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

MAX_BYTES = 64 * 1024 * 1024  # larger documents are refused, not read half-way
MAX_PAGES = 2000
MAX_CHARS = 8_000_000  # extracted text of the whole document


class DocumentError(Exception):
    """The document cannot be read; the message says why and what to do."""


@dataclass
class Page:
    number: int  # 1-based
    text: str
    # spans the format itself marks: (start, end, kind) with kind heading1..6, caption, table-row
    marks: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass
class Document:
    path: Path
    sha256: str
    format: str  # pdf, html, markdown, text
    pages: list[Page]
    meta: dict = field(default_factory=dict)  # title, author, year, url as the document gives them


def read(path: str | Path, max_bytes: int = MAX_BYTES) -> Document:
    p = Path(path)
    if not p.exists():
        raise DocumentError(f"{p}: no such file (give the path of a PDF, HTML, Markdown or text document)")
    if not p.is_file():
        raise DocumentError(f"{p}: not a regular file (give the path of a document, not a folder)")
    size = p.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{p}: {size:,} bytes is over the limit of {max_bytes:,} bytes "
                            "(split the document into parts and extract each)")
    if size == 0:
        raise DocumentError(f"{p}: the file is empty (nothing to extract)")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise DocumentError(f"{p}: cannot be read ({e.strerror})") from e
    digest = hashlib.sha256(data).hexdigest()
    fmt = sniff(p, data)
    if fmt == "pdf":
        pages, meta = _read_pdf(p, data)
    else:
        text = _decode(p, data)
        if fmt == "html":
            pages, meta = _read_html(text)
        elif fmt == "markdown":
            pages, meta = _read_markdown(text)
        else:
            pages, meta = _read_text(text)
    total = sum(len(pg.text) for pg in pages)
    if total > MAX_CHARS:
        raise DocumentError(f"{p}: {total:,} characters of text is over the limit of {MAX_CHARS:,} "
                            "(split the document into parts and extract each)")
    if not any(pg.text.strip() for pg in pages):
        hint = " (a scanned PDF needs OCR first)" if fmt == "pdf" else ""
        raise DocumentError(f"{p}: no text found in the document{hint}")
    return Document(p, digest, fmt, pages, meta)


def sniff(p: Path, data: bytes) -> str:
    """The format from the content first, the file name second."""
    head = data[:1024].lstrip()
    if data[:5] == b"%PDF-" or head[:5] == b"%PDF-":
        return "pdf"
    suffix = p.suffix.lower()
    if suffix == ".pdf":
        return "pdf"  # named a PDF but without the header: the PDF reader says what is wrong
    low = head[:512].lower()
    if suffix in (".html", ".htm", ".xhtml") or low.startswith((b"<!doctype html", b"<html")) or b"<html" in low:
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"


def _decode(p: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise DocumentError(f"{p}: binary data, not text (give a PDF, HTML, Markdown or UTF-8 text document)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        # mostly-text files in a legacy encoding are read as cp1252; junk is refused
        sample = data[:65536]
        printable = sum(32 <= b < 127 or b in (9, 10, 12, 13) for b in sample)
        if printable / max(1, len(sample)) < 0.85:
            raise DocumentError(f"{p}: binary data, not text (byte {e.start} is not UTF-8; "
                                "give a PDF, HTML, Markdown or UTF-8 text document)") from e
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 65536):
        raise DocumentError(f"{p}: binary data, not text (control characters throughout; "
                            "give a PDF, HTML, Markdown or UTF-8 text document)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ------------------------------------------------------------------ plain text
def _read_text(text: str) -> tuple[list[Page], dict]:
    parts = text.split("\f")
    if len(parts) > MAX_PAGES:
        raise DocumentError(f"{len(parts)} pages is over the limit of {MAX_PAGES}")
    return [Page(i + 1, t) for i, t in enumerate(parts)], {}


# ------------------------------------------------------------------ Markdown
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _read_markdown(text: str) -> tuple[list[Page], dict]:
    pages, _ = _read_text(text)
    meta = {}
    for pg in pages:
        for m in _MD_HEADING.finditer(pg.text):
            pg.marks.append((m.start(2), m.end(2), f"heading{len(m.group(1))}"))
            if not meta.get("title") and len(m.group(1)) == 1:
                meta["title"] = m.group(2).strip()
        pos = 0
        for line in pg.text.split("\n"):
            s = line.strip()
            if s.startswith("|") and s.count("|") >= 2 and not _MD_TABLE_RULE.match(s):
                pg.marks.append((pos, pos + len(line), "table-row"))
            pos += len(line) + 1
    return pages, meta


# ------------------------------------------------------------------ HTML
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote", "li", "ul", "ol",
          "dl", "dt", "dd", "figure", "figcaption", "caption", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
          "pre", "address", "nav", "form", "hr", "br", "body", "thead", "tbody", "tfoot"}
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}


class _HTML(HTMLParser):
    """HTML to text: blocks separated by blank lines, table rows as 'cell | cell' lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.len = 0
        self.skip = 0
        self.marks: list[tuple[int, int, str]] = []
        self.open_mark: list[tuple[str, int]] = []
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None
        self.meta: dict = {}
        self.in_title = False
        self.title: list[str] = []
        self.pending_break = 0

    def _emit(self, s: str):
        if not s:
            return
        if self.pending_break and self.len:
            nl = "\n" * self.pending_break
            self.out.append(nl)
            self.len += len(nl)
        self.pending_break = 0
        lead = len(s) - len(s.lstrip(" "))
        for i, (t, start) in enumerate(self.open_mark):
            if start < 0:
                self.open_mark[i] = (t, self.len + lead)
        self.out.append(s)
        self.len += len(s)

    def _break(self, n=2):
        if self.len:
            self.pending_break = max(self.pending_break, n)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in _SKIP:
            if tag == "head":
                return
            self.skip += 1
            return
        if tag == "title":
            self.in_title = True
        if tag == "meta":
            name = (a.get("name") or a.get("property") or "").lower()
            content = a.get("content") or ""
            if name in ("author", "dc.creator", "citation_author") and content:
                self.meta.setdefault("author", content)
            elif name in ("dc.date", "citation_date", "citation_publication_date", "article:published_time",
                          "date") and content:
                m = re.search(r"\b(1[89]\d\d|20\d\d)\b", content)
                if m:
                    self.meta.setdefault("year", int(m.group(1)))
            elif name in ("og:url",) and content.startswith(("http://", "https://")):
                self.meta.setdefault("url", content)
            elif name in ("dc.title", "citation_title", "og:title") and content:
                self.meta.setdefault("title", content)
            elif name in ("dc.publisher", "citation_publisher", "og:site_name") and content:
                self.meta.setdefault("publisher", content)
        if tag == "link" and (a.get("rel") or "").lower() == "canonical" and (a.get("href") or "").startswith("http"):
            self.meta.setdefault("url", a["href"])
        if self.skip:
            return
        if tag == "tr":
            self._break(1)
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.cell = []
        elif tag == "br":
            self._break(1)
        elif tag in _BLOCK:
            self._break(2)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption"):
            self._break(2)
            self.open_mark.append((tag, -1))

    def handle_endtag(self, tag):
        if tag in _SKIP and tag != "head":
            self.skip = max(0, self.skip - 1)
            return
        if tag == "title":
            self.in_title = False
        if self.skip:
            return
        if tag in ("td", "th") and self.cell is not None and self.cells is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            cells = [c for c in self.cells]
            self.cells = None
            if any(cells):
                line = " | ".join(c if c else "-" for c in cells)
                self._break(1)
                self._emit(line)
                self.marks.append((self.len - len(line), self.len, "table-row"))
            self._break(1)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption"):
            for i in range(len(self.open_mark) - 1, -1, -1):
                if self.open_mark[i][0] == tag:
                    _, start = self.open_mark.pop(i)
                    end = self.len - (len(self.out[-1]) - len(self.out[-1].rstrip(" ")) if self.out else 0)
                    if 0 <= start < end:
                        kind = "caption" if tag in ("figcaption", "caption") else "heading" + tag[1]
                        self.marks.append((start, end, kind))
                    break
            self._break(2)
        elif tag in _BLOCK:
            self._break(2)

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
            return
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
            return
        text = " ".join(data.split())
        if not text:
            if data and self.len and not self.pending_break and not self.out[-1].endswith(" "):
                self.out.append(" ")
                self.len += 1
            return
        if data[:1].isspace() and self.len and not self.pending_break and not self.out[-1].endswith((" ", "\n")):
            text = " " + text
        if data[-1:].isspace():
            text = text + " "
        self._emit(text)


def _read_html(text: str) -> tuple[list[Page], dict]:
    parser = _HTML()
    try:
        parser.feed(text)
        parser.close()
    except Exception as e:  # html.parser is lenient; anything it still rejects is reported
        raise DocumentError(f"the HTML cannot be parsed ({e})") from e
    body = "".join(parser.out)
    # trailing spaces at line ends are dropped without moving any mark: only whole-line trims
    page = Page(1, body, sorted(parser.marks))
    meta = dict(parser.meta)
    title = " ".join("".join(parser.title).split())
    if title:
        meta.setdefault("title", html.unescape(title))
    if not meta.get("title"):
        for s, e, k in page.marks:
            if k == "heading1":
                meta["title"] = body[s:e].strip()
                break
    return [page], meta


# ------------------------------------------------------------------ PDF
def _read_pdf(p: Path, data: bytes) -> tuple[list[Page], dict]:
    import io
    import logging

    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken objects are reported once, below
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as e:  # an unsupported cipher
                raise DocumentError(f"{p}: the PDF is encrypted and cannot be opened ({e}); "
                                    "save an unencrypted copy and extract that") from e
            if not ok:
                raise DocumentError(f"{p}: the PDF is encrypted with a password; "
                                    "save an unencrypted copy and extract that")
        n = len(reader.pages)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as e:
        raise DocumentError(f"{p}: not a readable PDF ({e.__class__.__name__}: {e}); "
                            "check the file is complete, or export it again") from e
    if n == 0:
        raise DocumentError(f"{p}: the PDF has no pages")
    if n > MAX_PAGES:
        raise DocumentError(f"{p}: {n} pages is over the limit of {MAX_PAGES} (split the document)")
    pages = []
    for i in range(n):
        try:
            raw = reader.pages[i].extract_text(extraction_mode="layout")
        except Exception as e:  # pypdf raises many kinds on damaged content streams
            raise DocumentError(f"{p}: page {i + 1} cannot be read ({e.__class__.__name__}: {e}); "
                                "check the file is complete, or export it again") from e
        pages.append(Page(i + 1, _tidy_layout(raw or "")))
    meta = {}
    try:
        info = reader.metadata or {}
        if info.get("/Title") and str(info["/Title"]).strip():
            meta["title"] = " ".join(str(info["/Title"]).split())
        if info.get("/Author") and str(info["/Author"]).strip():
            meta["author"] = " ".join(str(info["/Author"]).split())
        m = re.match(r"D:(\d{4})", str(info.get("/CreationDate") or ""))
        if m:
            meta["file_year"] = int(m.group(1))
    except Exception:  # metadata is optional; a broken info dictionary only loses it
        pass
    return pages, meta


def _tidy_layout(raw: str) -> str:
    """pypdf's layout text without its page margins: lines right-stripped, the common left
    indent removed, runs of blank lines folded to one (vertical gaps separate paragraphs)."""
    lines = [ln.rstrip() for ln in raw.replace("\r", "").split("\n")]
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    out: list[str] = []
    blank = False
    for ln in lines:
        if not ln.strip():
            if out and not blank:
                out.append("")
            blank = True
            continue
        blank = False
        out.append(ln[cut:])
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
