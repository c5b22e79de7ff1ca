"""Reading an import's input the way the curated reader reads YAML: never a traceback, never a guess.

Every importer reads its file through this module:

* **Files.** Only a regular file (or, for MinMod, a folder of them) is read; a directory, a FIFO,
  a device or an unreadable file is refused before a byte is read.
* **Encoding.** Text is UTF-8 unless the file declares otherwise with a byte order mark (UTF-8,
  UTF-16, UTF-32) or the user states it with `--encoding`. Bytes that are not valid in that
  encoding stop the import at `file:line:column`, with the bytes echoed (truncated) and how to
  fix it: for text that is valid Windows-1252 the message shows how it would read, so that the
  user can confirm and give `--encoding cp1252`. A stated single-byte encoding is refused for a
  line that is valid UTF-8 with non-ASCII characters (it would turn "Côte" into "CÃ´te"), and
  text that looks encoded twice ("CÃ´te") is reported as a warning.
* **Binary input.** A NUL byte or another control character (other than tab and the line ends),
  C0 or C1, is not text: the import stops at its line and column with the bytes around it
  echoed, truncated; ZIP (a spreadsheet), gzip, PDF and PNG files are named as such.
* **Records.** CSV (or TSV for `.tsv`/`.tab` files) is parsed strictly; each record comes with the
  line it starts on, so a quote that is never closed is reported at the record's first line;
  a line is at most MAX_LINE characters.
* **Numbers.** `number()` reads a table cell by one rule for every column of a file: the point is
  the decimal separator; commas may only group thousands (`1,234,567.5`), and a lone comma
  group without a point (`1,546`) is refused as ambiguous, as is any other comma (`0,546`
  is never 546). `--decimal-comma` swaps the two roles for a whole file. NaN, infinities, digits
  other than ASCII and values beyond the caller's limit are refused.
* **JSON** arrays are read record by record with the line each record starts on; NaN and
  infinities, integers longer than MAX_JSON_DIGITS digits and nesting too deep to read are
  refused at `file:line`.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import stat
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from .common import ImportFailure, RowError

CHUNK = 1 << 20
MAX_LINE = 1 << 20          # characters in one line
MAX_JSON_DIGITS = 30        # digits of an integer in a JSON record
ECHO = 24                   # bytes echoed from a line that is not text

BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
MAGIC = [(b"PK\x03\x04", "a ZIP archive (an .xlsx or .ods spreadsheet?): save the sheet as CSV UTF-8 first"),
         (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook: save the sheet as CSV UTF-8 first"),
         (b"\x1f\x8b", "gzip-compressed: decompress it first (gunzip)"),
         (b"%PDF", "a PDF document: import the table as CSV"),
         (b"\x89PNG", "a PNG image")]
# C0 controls other than tab, LF and CR; DEL; C1 controls
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# "Côte" written as UTF-8, read as Latin-1 or Windows-1252, and written as UTF-8 again
TWICE = re.compile(r"[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac[\u0080-\u00bf\u2018-\u201e\u2122\u0153\u0161]")


def check_path(path: Path, folder_ok: bool = False) -> None:
    """Refuse what is not a readable regular file (or folder, when `folder_ok`) before reading it."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImportFailure([f"{path}: no such file (check the path)"]) from None
    except OSError as e:
        raise ImportFailure([f"{path}: cannot be read ({e.strerror}); check the path and its permissions"]) from None
    if stat.S_ISDIR(st.st_mode):
        if folder_ok:
            return
        raise ImportFailure([f"{path}: is a folder; give the file to import"])
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise ImportFailure([f"{path}: is {kind}; only regular files are imported (copy the data into a file first)"])
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise ImportFailure([f"{path}: cannot be read ({e.strerror}); check its permissions"]) from None


def _echo(data: bytes) -> str:
    """The bytes as Python writes them, cut to ECHO bytes."""
    cut = data[:ECHO]
    return repr(cut) + (f" ... ({len(data):,} bytes in all)" if len(data) > ECHO else "")


def _stated_encoding(options: dict) -> str | None:
    enc = (options or {}).get("encoding")
    if not enc:
        return None
    try:
        return codecs.lookup(enc).name
    except LookupError:
        raise ImportFailure([f"--encoding {enc!r}: not an encoding Python knows (e.g. utf-8, cp1252, latin-1, "
                             "utf-16)"]) from None


def _single_byte(encoding: str) -> bool:
    return len("\u00e9".encode(encoding, errors="ignore")) == 1 if encoding else False


class TextFile:
    """The lines of a text file, decoded strictly, with the current line number in `line`."""

    def __init__(self, path: Path, options: dict | None = None):
        self.path, self.name = Path(path), Path(path).name
        self.stated = _stated_encoding(options or {})
        self.stated_as = (options or {}).get("encoding")  # as the user wrote it, for messages
        self.line = 0          # the number of the last line handed out
        self.bytes_read = 0
        self.warnings: list[RowError] = []

    def _fail(self, line: int, message: str) -> ImportFailure:
        return ImportFailure([f"{self.name}:{line}: {message}"])

    def _start(self, f) -> str:
        head = f.read(4)
        f.seek(0)
        for magic, what in MAGIC:
            if head.startswith(magic):
                raise self._fail(1, f"not a text table: the file is {what} (it starts with {_echo(head)})")
        declared = next((enc for bom, enc in BOMS if head.startswith(bom)), None)
        family = lambda enc: re.sub(r"-(sig|le|be)$", "", enc)  # noqa: E731
        if self.stated and declared and family(declared) != family(self.stated):
            raise self._fail(1, f"the file starts with the byte order mark of {declared.replace('-sig', '')}, "
                                f"but --encoding says {self.stated_as}; leave --encoding out")
        if declared:
            return declared
        if self.stated in ("utf-16", "utf-32"):
            raise self._fail(1, f"--encoding {self.stated_as}: the file does not start with a byte order mark, so "
                                f"its byte order is unknown; give --encoding {self.stated}-le or {self.stated}-be")
        return self.stated or "utf-8"

    def lines(self) -> Iterator[str]:
        """Each line with its line end; raises ImportFailure at the first byte that is not text."""
        with open(self.path, "rb") as f:
            enc = self._start(f)
            self.encoding = enc
            check_utf8 = self.stated is not None and _single_byte(enc)
            dec = codecs.getincrementaldecoder(enc)(errors="strict")
            carry, done_lines, offset = "", 0, 0
            while True:
                chunk = f.read(CHUNK)
                final = not chunk
                try:
                    text = carry + dec.decode(chunk, final=final)
                except UnicodeDecodeError as e:
                    raise self._decode_problem(e, enc, carry, done_lines) from None
                except UnicodeError as e:  # a codec's own complaint, with no position
                    raise self._fail(done_lines + 1, f"not {enc} text ({e})") from None
                offset += len(chunk)
                self.bytes_read = offset
                m = CONTROL.search(text)
                if m:
                    raise self._control_problem(text, m.start(), done_lines, enc)
                parts = text.split("\n")
                carry = parts.pop()
                if len(carry) > MAX_LINE:
                    raise self._fail(done_lines + len(parts) + 1,
                                     f"a line longer than {MAX_LINE:,} characters (binary data, or a file without "
                                     "line ends?)")
                for p in parts:
                    done_lines += 1
                    if len(p) > MAX_LINE:
                        raise self._fail(done_lines, f"a line longer than {MAX_LINE:,} characters")
                    if not p.isascii():
                        self._check_line(p, done_lines, enc, check_utf8)
                    self.line = done_lines
                    yield p + "\n"
                if final:
                    break
            if carry:
                done_lines += 1
                if not carry.isascii():
                    self._check_line(carry, done_lines, enc, check_utf8)
                self.line = done_lines
                yield carry

    def text(self) -> str:
        return "".join(self.lines())

    def _check_line(self, line: str, n: int, enc: str, check_utf8: bool) -> None:
        if check_utf8:
            raw = line.encode(enc)
            try:
                as_utf8 = raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                sample = _around(line, next(i for i, c in enumerate(line) if ord(c) > 127))
                raise self._fail(n, f"this line is valid UTF-8 ({_around(as_utf8, next(i for i, c in enumerate(as_utf8) if ord(c) > 127))!r}), "
                                    f"but --encoding {self.stated_as} reads it as {sample!r}; leave out --encoding "
                                    "(the file is UTF-8)")
        m = TWICE.search(line)
        if m and len(self.warnings) < 100:
            self.warnings.append(RowError(self.name, n, f"{_around(line, m.start())!r} looks like text encoded twice "
                                                        "(UTF-8 read as Windows-1252 and saved again); check the file"))

    def _decode_problem(self, e: UnicodeDecodeError, enc: str, carry: str, done_lines: int) -> ImportFailure:
        prefix = e.object[:e.start].decode(e.encoding or enc, errors="replace")
        text = carry + prefix
        m = CONTROL.search(text)
        if m:  # a control character before the undecodable byte: the first fault is that one
            return self._control_problem(text, m.start(), done_lines, enc)
        line = done_lines + text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        bad = e.object[e.start:e.start + ECHO]
        where = f"{self.name}:{line}"
        sample = e.object[:CHUNK]
        controls = sum(1 for b in sample[:4096] if b < 9 or 13 < b < 32)
        if b"\x00" in sample[:4096] or controls * 20 > min(len(sample), 4096):
            return ImportFailure([f"{where}: binary data, not a text table (bytes {_echo(bad)} at column {col}); is "
                                  "it the right file?"])
        msg = f"{where}: byte(s) {_echo(bad)} at column {col} are not {enc.replace('-sig', '').upper()} text"
        if enc.startswith("utf-8"):
            end = e.object.find(b"\n", e.start)
            raw_line = e.object[e.object.rfind(b"\n", 0, e.start) + 1:end if end >= 0 else len(e.object)]
            try:
                as_1252 = raw_line.decode("cp1252")
            except UnicodeDecodeError:
                guess = ("; convert the file to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8), or give its encoding with "
                         "--encoding")
            else:
                k = raw_line.find(e.object[e.start:e.start + 1])
                guess = (f"; as Windows-1252 the line reads {_around(as_1252, max(k, 0))!r}: if that is right, "
                         "give --encoding cp1252 (or convert the file: iconv -f CP1252 -t UTF-8)")
            msg += guess
        else:
            msg += f" (is --encoding {enc} the file's encoding?)"
        return ImportFailure([msg])

    def _control_problem(self, text: str, pos: int, done_lines: int, enc: str) -> ImportFailure:
        line = done_lines + text.count("\n", 0, pos) + 1
        start = text.rfind("\n", 0, pos) + 1
        col = pos - start + 1
        ch = text[pos]
        raw = text[max(start, pos - 8):pos + ECHO].encode(enc.replace("-sig", ""), errors="backslashreplace")
        if enc.startswith("utf-16") or enc.startswith("utf-32"):
            raw = text[max(start, pos - 8):pos + ECHO].encode("utf-8", errors="backslashreplace")
        if ch == "\x00":
            hint = "binary data, not a text table"
            if text.count("\x00", start, start + 64) * 3 >= min(64, len(text) - start):
                hint += " (or UTF-16 text without a byte order mark: then give --encoding utf-16-le or utf-16-be)"
        elif "\x80" <= ch <= "\x9f":
            hint = (f"the control character U+{ord(ch):04X}, which text does not use: the file is probably "
                    "Windows-1252, give --encoding cp1252" if self.stated else
                    f"the control character U+{ord(ch):04X}, which text does not use (binary data?)")
        else:
            hint = f"the control character U+{ord(ch):04X} (binary data, not a text table)"
        return ImportFailure([f"{self.name}:{line}: {hint}, at column {col}: {_echo(raw)}"])


def _around(text: str, i: int, width: int = 32) -> str:
    a = max(0, i - width // 2)
    return text[a:a + width]


class Table(TextFile):
    """The records of a CSV file (TSV for .tsv and .tab), each with the line it starts on."""

    def __init__(self, path: Path, options: dict | None = None):
        super().__init__(path, options)
        self.delimiter = "\t" if self.path.suffix.lower() in (".tsv", ".tab") else ","

    def records(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self.lines(), delimiter=self.delimiter, strict=True)
        first = True
        while True:
            start = self.line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise self._csv_problem(str(e), start) from None
            if first:
                first = False
                self._check_header(row)
            yield start, row

    def _check_header(self, row: list[str]) -> None:
        if len(row) == 1:
            for sep, name in ((";", "semicolons"), ("\t", "tabs"), (",", "commas"), ("|", "bars")):
                if sep != self.delimiter and sep in row[0]:
                    expect = "tabs (a .tsv file)" if self.delimiter == "\t" else "commas"
                    raise self._fail(1, f"the header row is one field holding {name}: oretrace reads fields "
                                        f"separated by {expect}; save the file as CSV with commas "
                                        "(or as .tsv with tabs)")

    def _csv_problem(self, err: str, start: int) -> ImportFailure:
        if "unexpected end of data" in err:
            msg = (f"a quoted field that starts in this record is never closed (the record runs to the end of the "
                   f"file, line {self.line}); add the closing quote")
        elif "field larger than field limit" in err:
            msg = (f"a field longer than {csv.field_size_limit():,} characters starts in this record: probably "
                   "a quote that is never closed (add the closing quote)")
        elif "expected after" in err:
            msg = ("text after the closing quote of a field (inside a quoted field, write a quote as two quotes \"\")")
        elif "new-line character" in err:
            msg = "a carriage return inside an unquoted field (save the file with LF or CRLF line ends)"
        else:
            msg = f"not readable as CSV ({err})"
        return self._fail(start, msg)


# ------------------------------------------------------------------ numbers
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_PLAIN_DC = re.compile(r"[+-]?(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)")
_GROUPED_DC = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.I)


def number(cell: str, what: str, decimal_comma: bool = False, limit: Decimal = Decimal("1e15")) -> Decimal | None:
    """The number in a table cell (None when empty), by the one rule of the module docstring;
    raises ValueError with what is wrong and how to write it."""
    t = cell.strip()
    if not t:
        return None
    if not decimal_comma and _PLAIN.fullmatch(t):  # the common case first
        d = Decimal(t)
        if abs(d) > limit:
            raise ValueError(f"{what} {cell!r} is implausibly large (above {limit:,f}); check the unit and the "
                             "decimal separator")
        return d
    if _NONFINITE.fullmatch(t):
        raise ValueError(f"{what} {cell!r} is not a finite number")
    if not t.isascii():
        raise ValueError(f"{what} {cell!r} is not a number written with the digits 0-9")
    if decimal_comma:
        if _PLAIN_DC.fullmatch(t):
            d = Decimal(t.replace(",", "."))
        elif _GROUPED_DC.fullmatch(t) and (t.count(".") > 1 or "," in t):
            d = Decimal(t.replace(".", "").replace(",", "."))
        elif _GROUPED_DC.fullmatch(t):
            raise ValueError(f"{what} {cell!r} is ambiguous in a file read with --decimal-comma: "
                             f"{t.replace('.', '')} or {t.replace('.', ',')}? write it without the point")
        else:
            raise ValueError(f"{what} {cell!r} is not a number with a decimal comma (the file is read with "
                             "--decimal-comma: write e.g. 1234,5)")
    elif _PLAIN.fullmatch(t):
        d = Decimal(t)
    elif _GROUPED.fullmatch(t) and (t.count(",") > 1 or "." in t):
        d = Decimal(t.replace(",", ""))
    elif _GROUPED.fullmatch(t):
        raise ValueError(f"{what} {cell!r} is ambiguous: {t.replace(',', '')} with a thousands separator, or "
                         f"{t.replace(',', '.')} with a decimal comma? write {t.replace(',', '')} or "
                         f"{t.replace(',', '.')}")
    elif t.count(",") == 1 and re.fullmatch(r"[+-]?[0-9.]*,[0-9]*", t):
        raise ValueError(f"{what} {cell!r} has a decimal comma, which is not read as such: write "
                         f"{t.replace('.', '').replace(',', '.')} with a point (or read the whole file with "
                         "--decimal-comma)")
    elif "," in t and re.fullmatch(r"[+-]?[0-9.,]+", t):
        raise ValueError(f"{what} {cell!r} has commas that do not group thousands (1,234,567.5); write the "
                         "number with a point as the decimal separator and no other separator")
    else:
        raise ValueError(f"{what} {cell!r} is not a number")
    if abs(d) > limit:
        raise ValueError(f"{what} {cell!r} is implausibly large (above {limit:,f}); check the unit and the "
                         "decimal separator")
    return d


# ------------------------------------------------------------------ JSON
class JsonRecords:
    """The records of a JSON array, each with the line it starts on."""

    def __init__(self, path: Path, options: dict | None = None):
        self.file = TextFile(path, options)
        self.name = self.file.name

    def _fail(self, line: int, message: str) -> ImportFailure:
        return ImportFailure([f"{self.name}:{line}: {message}"])

    @staticmethod
    def _constant(name: str):
        raise ValueError(f"{name} is not a number JSON allows (write a finite number, or leave the value out)")

    @staticmethod
    def _int(text: str) -> int:
        if len(text.lstrip("-")) > MAX_JSON_DIGITS:
            raise ValueError(f"an integer of {len(text.lstrip('-')):,} digits (at most {MAX_JSON_DIGITS} are read)")
        return int(text)

    @staticmethod
    def _float(text: str) -> float:
        v = float(text)
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"{text[:40]} is beyond the range of numbers that are read")
        return v

    def records(self) -> Iterator[tuple[int, object]]:
        text = self.file.text()
        self.warnings = self.file.warnings
        dec = json.JSONDecoder(parse_constant=self._constant, parse_int=self._int, parse_float=self._float)
        ws = re.compile(r"[ \t\r\n]*")
        i = ws.match(text, 0).end()
        line = 1 + text.count("\n", 0, i)
        if i >= len(text):
            raise self._fail(1, "the file is empty (a JSON array of MinMod MineralSite records is expected)")
        if text[i] != "[":
            raise self._fail(line, "expected a JSON array of MinMod MineralSite records (the file does not start with '[')")
        pos, i = i, ws.match(text, i + 1).end()
        if i < len(text) and text[i] == "]":
            return
        while True:
            line += text.count("\n", pos, i)
            pos = i
            try:
                obj, j = dec.raw_decode(text, i)
            except json.JSONDecodeError as e:
                raise self._fail(e.lineno, f"not readable JSON ({e.msg}, column {e.colno}); the file may be "
                                           "truncated") from None
            except RecursionError:
                raise self._fail(line, "a record nested too deeply to read (is it a MinMod record?)") from None
            except ValueError as e:
                raise self._fail(line, f"in the record that starts here: {e}") from None
            yield line, obj
            i = ws.match(text, j).end()
            if i < len(text) and text[i] == ",":
                i = ws.match(text, i + 1).end()
                continue
            if i < len(text) and text[i] == "]":
                rest = ws.match(text, i + 1).end()
                if rest != len(text):
                    raise self._fail(1 + text.count("\n", 0, rest), "text after the end of the JSON array")
                return
            at = 1 + text.count("\n", 0, i)
            raise self._fail(at, "expected ',' or ']' after a record" if i < len(text) else
                                 "the JSON array is not closed with ']' (the file may be truncated)")
