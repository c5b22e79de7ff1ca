"""SPARQL text: the one reader of SPARQL query text, and the read-only policy built on it.

Every query that oretrace runs for someone (the endpoint, the app, `oretrace query`, the server's
own linked-data lookups) goes through `check()`:

1. `\\uXXXX` and `\\UXXXXXXXX` escapes are decoded first, as SPARQL 1.1 section 19.2 says. A text in
   which the decoding leaves (or makes) another backslash-u is refused, so a store that decodes a
   second time cannot read a different query.
2. `tokenize()` reads the decoded text with the terminals of the SPARQL 1.1 grammar (section 19.8),
   each written out below as it is in the specification, longest match first: comments end at LF
   or CR, strings follow ECHAR, IRIREF its character class, keywords are the grammar's closed
   set (a bare word that is not one is an error). Limits on size, nesting and operator count keep
   the store's own parser from running out of stack.
3. A text with an update keyword (INSERT, DELETE, LOAD, CLEAR, ...) or SERVICE anywhere, in any
   case, is refused: a well-formed update or a query that uses SERVICE gets `QueryRefused`
   (403), anything else `QuerySyntaxError` (400) with the parser's message. The two are told
   apart by rdflib's SPARQL parser (`parseUpdate`, `parseQuery`), which reads and never executes.
4. The store is sent only a canonical text rebuilt from the checked tokens: no comments, keywords
   in upper case, every string as a "..." literal, and no IRIREF after the prologue. Each prefix
   and each IRI of the body becomes a prologue declaration `PREFIX pN: <...>` (where the grammar
   allows nothing but an IRI, so no parser can read the `<` as less-than) and the body says
   `pN:local`. Line breaks are kept, so the store's error positions name the user's line.

Terms are written by `iri()`, `literal()` and `term()` through pyoxigraph, which checks them;
`shorten()` is the one short form of an IRI (kind/slug under the base, prefix:local for known
vocabularies) used by the command line, the app and the linked-data pages.

(About 560 lines on purpose: the policy must live in one module, next to the terminals it reads.)
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import InputError
from .vocab import PREFIXES


# ------------------------------------------------------------------ errors
class QueryError(InputError):
    """A query could not be parsed or run. `status` is the HTTP status the endpoint answers with."""

    status = 400

    def lines(self) -> list[str]:
        """One line (a parser's message spans several)."""
        return [" ".join(" ".join(super().lines()).split())]


class QuerySyntaxError(QueryError):
    """The text is not a SPARQL 1.1 query (or is beyond this service's limits)."""

    status = 400


class QueryRefused(QueryError):
    """A well-formed request this read-only service does not carry out (an update, SERVICE)."""

    status = 403


READ_ONLY = ("read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, COPY, MOVE, ADD) is refused; "
             "this service only reads the graph: change the data through the curated files and `oretrace build`")
NO_SERVICE = ("SERVICE (federated query) is refused: it would make this server fetch data from another address; "
              "run the federated query from your own client instead")

# ------------------------------------------------------------------ limits
MAX_CHARS = 1_000_000     # characters of one query text
MAX_DEPTH = 32            # brackets ( { [ open at once
MAX_OPERATORS = 1000      # groups, brackets, operators and UNION/OPTIONAL/MINUS in one query

# ------------------------------------------------------------------ the grammar's terminals (SPARQL 1.1, 19.8)
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                  "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_ECHAR = r"\\[tbnrf\\\"']"
_EXPONENT = r"[eE][+-]?[0-9]+"

_IRIREF = re.compile(r'<([^<>"{}|^`\\\x00-\x20]*)>')
_PNAME = re.compile(f"({_PN_PREFIX})?:({_PN_LOCAL})?")
_VAR = re.compile(f"[?$]({_VARNAME})")
_BLANK_NODE_LABEL = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
# DOUBLE, then DECIMAL, then INTEGER: for these three the first alternative that matches is the longest
_NUMBER = re.compile(f"[+-]?(?:[0-9]+\\.[0-9]*{_EXPONENT}|\\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}|[0-9]*\\.[0-9]+|[0-9]+)")
_STRINGS = (  # long forms first: ''' is the start of a long string, not an empty string and a quote
    re.compile(f"'''(?:(?:'|'')?(?:[^'\\\\]|{_ECHAR}))*'''"),
    re.compile(f'"""(?:(?:"|"")?(?:[^"\\\\]|{_ECHAR}))*"""'),
    re.compile(f"'(?:[^'\\\\\\n\\r]|{_ECHAR})*'"),
    re.compile(f'"(?:[^"\\\\\\n\\r]|{_ECHAR})*"'),
)
_NIL = re.compile(r"\([ \t\r\n]*\)")
_ANON = re.compile(r"\[[ \t\r\n]*\]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_WS = " \t\r\n"
_PUNCT2 = ("^^", "&&", "||", "!=", "<=", ">=")
_PUNCT1 = set("{}()[];,.=<>!+-*/^|?")

# Keywords of the query grammar (case-insensitive, except 'a'), and those only the update grammar has.
QUERY_KEYWORDS = frozenset("""
BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED GROUP BY HAVING ORDER ASC DESC
LIMIT OFFSET VALUES UNDEF GRAPH OPTIONAL SERVICE SILENT BIND MINUS UNION FILTER NOT IN EXISTS
COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR
STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE
ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ
NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL
ISNUMERIC REGEX SUBSTR REPLACE TRUE FALSE""".split())
UPDATE_KEYWORDS = frozenset("LOAD CLEAR DROP CREATE ADD MOVE COPY TO INTO INSERT DELETE DATA WITH USING DEFAULT ALL".split())
FORBIDDEN = UPDATE_KEYWORDS | {"SERVICE"}
_KEYWORDS = QUERY_KEYWORDS | UPDATE_KEYWORDS
_LONGEST_KEYWORD = max(map(len, _KEYWORDS))
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
_OPEN, _CLOSE = {"(", "{", "["}, {")", "}", "]"}
_OPERATORS = {"{", "(", "[", "||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "!", "|", "^",
              "UNION", "OPTIONAL", "MINUS"}

# token kinds
KEYWORD, IRI, PNAME, VAR, BNODE, STRING, LANGTAG, NUMBER, NIL, ANON, PUNCT = (
    "keyword", "iri", "pname", "var", "bnode", "string", "langtag", "number", "nil", "anon", "punct")


@dataclass(frozen=True, slots=True)
class Token:
    """One terminal: `kind`, its `text` (keywords in upper case, except `a`; booleans in lower case) and
    its span [start, end) in the decoded text."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def prefix(self) -> str:
        """The prefix of a prefixed name (without the colon)."""
        return self.text.split(":", 1)[0]

    @property
    def name(self) -> str:
        """A variable's name, without ? or $."""
        return self.text[1:]


def position(text: str, offset: int) -> str:
    """'line L, column C' of an offset (both counted from 1)."""
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _syntax(text: str, offset: int, what: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"SPARQL syntax error at {position(text, offset)}: {what}")


# ------------------------------------------------------------------ decoding
def decode(text: str) -> str:
    """The text with its \\u and \\U codepoint escapes decoded (SPARQL 1.1, 19.2).

    A backslash and the character after it are read as a pair, as Oxigraph does. If a backslash
    followed by u or U is left over (an escape of a backslash, a bad or partial escape, a surrogate),
    the text is refused: another reader might decode it again and read something else.
    """
    if "\\u" not in text and "\\U" not in text:
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            d = text[i + 1]
            width = 4 if d == "u" else 8 if d == "U" else 0
            digits = text[i + 2:i + 2 + width]
            if width and len(digits) == width and all(h in "0123456789abcdefABCDEF" for h in digits):
                cp = int(digits, 16)
                if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
                    out.append(chr(cp))
                    i += 2 + width
                    continue
            out.append(c + d)
            i += 2
            continue
        out.append(c)
        i += 1
    decoded = "".join(out)
    left = min((k for k in (decoded.find("\\u"), decoded.find("\\U")) if k >= 0), default=-1)
    if left >= 0:
        raise _syntax(decoded, left, "a backslash followed by u or U is left after decoding the \\u and \\U escapes "
                                     "(a second decoding could read another query); write the character itself")
    return decoded


# ------------------------------------------------------------------ tokens
def tokenize(text: str) -> list[Token]:
    """The terminals of a decoded SPARQL text, longest match first; comments and white space are skipped.

    Raises QuerySyntaxError at the first character that starts no terminal.
    """
    out: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n:  # white space and comments (a comment ends at LF or CR)
            c = text[i]
            if c in _WS:
                i += 1
            elif c == "#":
                while i < n and text[i] not in "\r\n":
                    i += 1
            else:
                break
        if i >= n:
            return out
        kind, s, end = _terminal(text, i)
        out.append(Token(kind, s, i, end))
        i = end


def _terminal(text: str, i: int) -> tuple[str, str, int]:
    """(kind, text, end) of the terminal starting at text[i]."""
    c = text[i]
    m = None
    if c == "<":
        m = _IRIREF.match(text, i)
        if m:
            if "&&" in m.group(1) or "||" in m.group(1):
                raise _syntax(text, i, f"{m.group(0)[:60]!r} reads as an IRI (SPARQL takes the longest token); "
                                       "put spaces around < and > where they compare")
            return IRI, m.group(0), m.end()
    elif c in "\"'":
        for pat in _STRINGS:
            m = pat.match(text, i)
            if m:
                return STRING, m.group(0), m.end()
        raise _syntax(text, i, "a string that is not closed on its line, or a backslash escape other than "
                               "\\t \\b \\n \\r \\f \\\\ \\\" \\'")
    elif c in "?$":
        m = _VAR.match(text, i)
        if m:
            return VAR, m.group(0), m.end()
    elif c == "_":
        m = _BLANK_NODE_LABEL.match(text, i)
        if m:
            return BNODE, m.group(0), m.end()
    elif c == "@":
        m = _LANGTAG.match(text, i)
        if m:
            return LANGTAG, m.group(0), m.end()
    elif c == "(" or c == "[":
        m = (_NIL if c == "(" else _ANON).match(text, i)
        if m:
            return (NIL, "()", m.end()) if c == "(" else (ANON, "[]", m.end())
    elif c.isdigit() or c in ".+-":
        m = _NUMBER.match(text, i)
        if m:
            return NUMBER, m.group(0), m.end()
    elif c == ":" or c.isalpha():
        word = _word(text, i)
        if word:
            return word[0], word[1], i + word[2]
    two = text[i:i + 2]
    if two in _PUNCT2:
        return PUNCT, two, i + 2
    if c in _PUNCT1:
        return PUNCT, c, i + 1
    raise _syntax(text, i, f"{_describe(text, i)} starts no SPARQL 1.1 token")


def _word(text: str, i: int):
    """(kind, text, length) of the keyword or prefixed name at text[i], whichever is longer; None if neither."""
    m = _PNAME.match(text, i)
    pname = m.group(0) if m else ""
    w = _WORD.match(text, i)
    word = w.group(0) if w else ""
    keyword = next((word[:k] for k in range(min(len(word), _LONGEST_KEYWORD), 0, -1) if word[:k].upper() in _KEYWORDS),
                   "a" if word.startswith("a") else "")  # 'a' is the one keyword matched case-sensitively
    if len(pname) > len(keyword):
        return PNAME, pname, len(pname)
    if keyword:
        kw = keyword if keyword == "a" else keyword.upper()
        return KEYWORD, kw.lower() if kw in ("TRUE", "FALSE") else kw, len(keyword)
    if word:
        raise _syntax(text, i, f"{word!r} is not a SPARQL 1.1 keyword (an IRI is written <...> or prefix:name)")
    return None


def _describe(text: str, i: int) -> str:
    c = text[i]
    return f"the character {c!r} (U+{ord(c):04X})" if not c.isprintable() or c.isspace() else f"{c!r}"


# ------------------------------------------------------------------ the policy
@dataclass(frozen=True)
class Checked:
    """A query that passed the policy: its `form`, the `text` to send to a store, and the decoded `source`."""

    form: str
    text: str
    source: str


_parser_lock = threading.Lock()


def check(text: str) -> Checked:
    """The read-only policy: the canonical text of a SPARQL 1.1 query, or QuerySyntaxError / QueryRefused.

    The answers for the most recent texts (up to _CACHED_CHARS long) are kept: the app and the
    endpoint ask the same catalogue texts again and again. A refusal is never kept, only a Checked."""
    if isinstance(text, str) and len(text) <= _CACHED_CHARS:
        return _check_cached(text)
    return _check(text)


_CACHED_CHARS = 16_384


@functools.lru_cache(maxsize=512)
def _check_cached(text: str) -> Checked:
    return _check(text)


def _check(text: str) -> Checked:
    if not isinstance(text, str) or not text.strip():
        raise QuerySyntaxError("the query is empty: write a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    if len(text) > MAX_CHARS:
        raise QuerySyntaxError(f"the query is {len(text):,} characters long; this service reads at most {MAX_CHARS:,}")
    source = decode(text)
    toks = tokenize(source)
    _limits(source, toks)
    bad = [t for t in toks if t.kind == KEYWORD and t.text in FORBIDDEN]
    if bad:
        _refuse(source, toks, bad)
    prologue, body = _prologue(source, toks)
    if not body or body[0].kind != KEYWORD or body[0].text not in FORMS:
        what = f"it starts with {source[body[0].start:body[0].end]!r}" if body else "there is nothing after the prologue"
        raise _syntax(source, body[0].start if body else len(source),
                      f"a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX and BASE); {what}")
    canonical = _canonical(source, prologue, body)
    _self_check(canonical, toks)
    return Checked(body[0].text, canonical, source)


def _limits(source: str, toks: list[Token]) -> None:
    depth, ops = 0, 0
    for t in toks:
        if t.kind == NUMBER and t.text[0] in "+-":
            ops += 1  # after an operand, a signed number is an addition
        elif t.kind == PUNCT or t.kind == KEYWORD:
            if t.text in _OPERATORS:
                ops += 1
            if t.text in _OPEN:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _syntax(source, t.start, f"brackets nested more than {MAX_DEPTH} deep (this service's limit)")
            elif t.text in _CLOSE:
                depth -= 1
                if depth < 0:
                    raise _syntax(source, t.start, f"{t.text!r} closes nothing")
    if ops > MAX_OPERATORS:
        raise QuerySyntaxError(f"the query has {ops} groups, brackets and operators; this service reads at most "
                               f"{MAX_OPERATORS} (split it into smaller queries)")


def _refuse(source: str, toks: list[Token], bad: list[Token]):
    """Why a text with an update keyword or SERVICE is refused: a well-formed update or SERVICE query is
    refused (403); anything else is a syntax error (400) with rdflib's message."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    plain = _plain(source, toks)  # what this reader read: no comments, so rdflib cannot end one elsewhere

    def attempt(parse):
        """None if it parses, else (message, whether the parser positively found an error)."""
        try:
            with _parser_lock:
                parse(plain)
            return None
        except ParseBaseException as e:
            return str(e), True
        except Exception as e:  # noqa: BLE001 - the parser itself failed (rdflib recurses without end on some SERVICE texts)
            return f"{type(e).__name__}: {e}", False

    words = {t.text for t in bad}
    refused = QueryRefused(NO_SERVICE if words == {"SERVICE"} else READ_ONLY)
    update_error = attempt(parseUpdate)
    if update_error is None:
        raise QueryRefused(READ_ONLY + ("; LOAD would also fetch a document from another address" if "LOAD" in words else ""))
    query_error = attempt(parseQuery)
    if query_error is None or not (query_error[1] and update_error[1]):
        raise refused  # a query with SERVICE, or a text the parsers cannot decide on: refused either way
    first = next((t for t in toks if t.kind == KEYWORD and t.text not in ("PREFIX", "BASE")), None)
    as_update = first is not None and first.text in UPDATE_KEYWORDS
    raise QuerySyntaxError(f"SPARQL syntax error ({'update' if as_update else 'query'} parser): "
                           f"{(update_error if as_update else query_error)[0]}")


def _plain(source: str, toks: list[Token]) -> str:
    """The tokens as written, with each gap between them reduced to its line breaks or one space."""
    out, last = [], 0
    for t in toks:
        breaks = source.count("\n", last, t.start)
        out.append("\n" * breaks if breaks else " " if out else "")
        out.append(source[t.start:t.end])
        last = t.end
    return "".join(out)


def _prologue(source: str, toks: list[Token]):
    """[(BASE, iri) | (PREFIX, pname, iri)] and the tokens after the prologue."""
    items, i = [], 0
    while i < len(toks) and toks[i].kind == KEYWORD and toks[i].text in ("BASE", "PREFIX"):
        t = toks[i]
        if t.text == "BASE":
            if i + 1 >= len(toks) or toks[i + 1].kind != IRI:
                raise _syntax(source, t.start, "BASE must be followed by an IRI in <...>")
            items.append((t, toks[i + 1]))
            i += 2
        else:
            ok = (i + 2 < len(toks) and toks[i + 1].kind == PNAME and toks[i + 1].text.find(":") == len(toks[i + 1].text) - 1
                  and toks[i + 2].kind == IRI)
            if not ok:
                raise _syntax(source, t.start, "PREFIX must be followed by a prefix name ending in ':' and an IRI in <...>")
            items.append((t, toks[i + 1], toks[i + 2]))
            i += 3
    return items, toks[i:]


def _canonical(source: str, prologue, body: list[Token]) -> str:
    """The text sent to the store: each token rewritten (see the module docstring), line breaks kept."""
    names: dict[str, str] = {}   # user prefix -> pN
    iris: dict[str, str] = {}    # IRIREF of the body -> pN
    parts: list[tuple[Token, str]] = []
    for item in prologue:
        if item[0].text == "PREFIX":
            names[item[1].prefix] = f"p{len(names) + len(iris)}"
            parts += [(item[0], "PREFIX"), (item[1], names[item[1].prefix] + ":"), (item[2], item[2].text)]
        else:
            parts += [(item[0], "BASE"), (item[1], item[1].text)]
    head = len(parts)
    for t in body:
        if t.kind == KEYWORD and t.text in ("PREFIX", "BASE"):
            raise _syntax(source, t.start, f"{t.text} may only come before the query form")
        if t.kind == IRI:
            s = iris.setdefault(t.text, f"p{len(names) + len(iris)}") + ":"
        elif t.kind == PNAME:
            pre, local = t.text.split(":", 1)
            if pre not in names:
                raise _syntax(source, t.start, f"the prefix {pre}: is not declared (add PREFIX {pre}: <...>)")
            s = f"{names[pre]}:{local}"
        elif t.kind == STRING:
            s = _string(t.text)
        elif t.kind == VAR:
            s = "?" + t.name
        else:
            s = t.text
        parts.append((t, s))
    # the body's IRIs are declared after the user's prologue, so relative ones resolve against the same BASE
    decls = " ".join(f"PREFIX {p}: {i}" for i, p in iris.items())
    out: list[str] = [decls] if decls and not head else []
    last = 0
    for k, (t, s) in enumerate(parts):
        tight = t.kind == LANGTAG or (t.kind in (NIL, PUNCT) and s in ("()", "(") and k and parts[k - 1][0].kind == KEYWORD
                                      and parts[k - 1][1] != "a")  # Oxigraph reads CONCAT(...) but not CONCAT (...)
        if out and not tight:
            breaks = source.count("\n", last, t.start)
            out.append("\n" * breaks if breaks else " ")
        out.append(s)
        if k == head - 1 and decls:
            out.append(" " + decls)
        last = t.end
    return "".join(out)


_UNESCAPE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'"}


def string_value(token_text: str) -> str:
    """The value of a STRING token (any of the four forms)."""
    q = 3 if token_text[:3] in ("'''", '"""') else 1
    body = token_text[q:-q]
    return re.sub(r"\\(.)", lambda m: _UNESCAPE[m.group(1)], body) if "\\" in body else body


def _string(token_text: str) -> str:
    v = string_value(token_text)
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _self_check(canonical: str, original: list[Token]) -> None:
    """The canonical text reads back as the same keywords, with IRIs only in prologue declarations."""
    again = tokenize(canonical)
    if [t.text for t in again if t.kind == KEYWORD and t.text not in ("PREFIX", "BASE")] != \
            [t.text for t in original if t.kind == KEYWORD and t.text not in ("PREFIX", "BASE")]:
        raise QuerySyntaxError("internal error: the canonical text reads differently (please report this query)")
    for k, t in enumerate(again):
        if t.kind == IRI and not (k >= 1 and again[k - 1].text == "BASE" or k >= 2 and again[k - 2].text == "PREFIX"):
            raise QuerySyntaxError("internal error: an IRI was left in the canonical body (please report this query)")


def form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (or the first keyword of anything else; '' if none)."""
    toks = tokenize(decode(text))
    return next((t.text for t in toks if t.kind == KEYWORD and t.text not in ("PREFIX", "BASE")), "")


# ------------------------------------------------------------------ prefixes, masks
def prefixes(text: str) -> tuple[set[str], set[str]]:
    """(declared, used) prefix names of a text (without colons)."""
    toks = tokenize(decode(text))
    declared = {toks[k + 1].prefix for k, t in enumerate(toks[:-1])
                if t.kind == KEYWORD and t.text == "PREFIX" and toks[k + 1].kind == PNAME}
    used = {t.prefix for k, t in enumerate(toks) if t.kind == PNAME and not (k and toks[k - 1].text == "PREFIX")}
    return declared, used


def group_end(toks: list[Token], k: int) -> int | None:
    """The index of the token that closes the bracket opened at toks[k]."""
    close = {"{": "}", "(": ")", "[": "]"}[toks[k].text]
    depth = 0
    for j in range(k, len(toks)):
        if toks[j].kind == PUNCT:
            if toks[j].text == toks[k].text:
                depth += 1
            elif toks[j].text == close:
                depth -= 1
                if depth == 0:
                    return j
    return None


def where_group(toks: list[Token]) -> int | None:
    """The index of the `{` opening the outermost WHERE clause (the first `{` when there is no WHERE)."""
    depth = 0
    for k, t in enumerate(toks):
        if t.kind == PUNCT and t.text in "{}":
            depth += 1 if t.text == "{" else -1
        if depth == 0 and t.kind == KEYWORD and t.text == "WHERE" and k + 1 < len(toks) and toks[k + 1].text == "{":
            return k + 1
    return next((k for k, t in enumerate(toks) if t.kind == PUNCT and t.text == "{"), None)


# ------------------------------------------------------------------ terms
def iri(value: str) -> str:
    """An absolute IRI as SPARQL text, checked by pyoxigraph (ValueError if it is not one)."""
    return str(ox.NamedNode(value))


def literal(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """A literal as SPARQL text (escaped by pyoxigraph)."""
    if datatype:
        return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))
    return str(ox.Literal(value, language=language) if language else ox.Literal(value))


def term(t) -> str:
    """A pyoxigraph term as SPARQL text."""
    if isinstance(t, ox.BlankNode):
        raise ValueError("a blank node cannot be written into a query")
    return str(t)


_PN_LOCAL_WHOLE = re.compile(f"(?:{_PN_LOCAL})?")


def shorten(value: str, base: str | None = None) -> str:
    """The short text of an IRI: kind/slug for an entity under {base}/id/, prefix:local for a term of a
    known vocabulary (when the local part is a valid prefixed-name local part), else the IRI itself."""
    if base and value.startswith(base + "/id/") and len(value) > len(base) + 4:
        return value[len(base) + 4:]
    for p, ns in PREFIXES.items():
        if value.startswith(ns) and _PN_LOCAL_WHOLE.fullmatch(value, len(ns)):
            return f"{p}:{value[len(ns):]}"
    return value
