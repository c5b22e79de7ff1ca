"""Bad input to the importers, class by class (issue 11, item 4): encodings, decimal commas, open
quotes, binary data, implausible rows. Each gives `file:line: what and how to fix it` and exit 2,
or, for a row that is odd but possible, a warning naming its line; never a traceback, never a
silently changed value."""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from oretrace import query
from oretrace.config import Settings
from oretrace.importers import ImportFailure, write_import

FIX = ROOT / "tests" / "fixtures" / "imports"
TRADE = "year,exporter,importer,commodity_code,quantity,unit,value_usd\n"
USGS = ("Year,Worldmineproduction,Concentrationratio,1stMineproduction,1stCountry,2ndMineproduction,2ndCountry,"
        "3rdMineproduction,3rdCountry\n")
RMI = "Smelter ID,Standard Smelter Name,Metal,Country Location,Assessment Status,Last Audit Date,Valid Until\n"


@pytest.fixture()
def s(tmp_path):
    """Settings of the checkout with a build folder of the test's own (no curated build in it)."""
    return Settings(root=ROOT, build=tmp_path / "b")


def _file(tmp_path, name: str, content) -> Path:
    p = tmp_path / "in" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def problems(s, kind, path, **kw) -> list[str]:
    with pytest.raises(ImportFailure) as e:
        write_import(s, kind, path, path.parent / "out.nq", quiet=True, **kw)
    assert e.value.code == 2
    return e.value.problems


def imported(s, kind, path, **kw):
    res, _ = write_import(s, kind, path, path.parent / "out.nq", quiet=True, **kw)
    st = ox.Store()
    st.load(path=str(res.file), format=ox.RdfFormat.N_QUADS)
    return res, st


def rows(st, text):
    return [tuple(t.value for t in r) for r in query.run_store(st, query.with_prefixes(text)).rows]


# ------------------------------------------------------------------ encodings
def test_latin1_usgs_file_is_refused_at_its_line_with_the_fix(s):
    p = problems(s, "usgs", FIX / "usgs-latin1" / "Tin.csv", options={"unit": "t"})
    assert len(p) == 1
    assert p[0].startswith("Tin.csv:2: byte(s) b'\\xfa")
    assert "column 30" in p[0] and "Perú" in p[0] and "--encoding cp1252" in p[0]


def test_latin1_usgs_file_is_read_correctly_with_its_encoding_stated(s):
    res, st = imported(s, "usgs", FIX / "usgs-latin1" / "Tin.csv", options={"unit": "t", "encoding": "latin-1"})
    assert res.rows == 2 and res.warnings == []
    assert rows(st, "SELECT ?y ?c WHERE { ?r a ot:RankObservation ; ot:rank 2 ; ot:year ?y ; ot:subject/ot:iso3166Code ?c } "
                    "ORDER BY ?y") == [("1990", "PE"), ("1991", "PE")]
    assert rows(st, "SELECT ?l WHERE { <https://w3id.org/oretrace/id/country/PE> rdfs:label ?l }") == [("Peru",)]


def test_a_single_byte_encoding_stated_for_a_utf8_file_is_refused(s, tmp_path):
    f = _file(tmp_path, "Tin.csv", USGS + "1990,200,0.60,60,China,40,Perú,20,Bolivia\n")
    p = problems(s, "usgs", f, options={"unit": "t", "encoding": "latin-1"})
    assert p[0].startswith("Tin.csv:2: this line is valid UTF-8") and "PerÃº" in p[0] and "leave out --encoding" in p[0]


def test_a_cp1252_file_stated_as_latin1_is_refused_with_the_right_encoding(s, tmp_path):
    f = _file(tmp_path, "smelters.csv", RMI.encode() + b"CIDX1,Smelter \x92One\x92,Tin,Bolivia,Conformant,,\n")
    p = problems(s, "rmi", f, options={"encoding": "latin-1"})
    assert p[0].startswith("smelters.csv:2: the control character U+0092") and "--encoding cp1252" in p[0]
    res, st = imported(s, "rmi", f, options={"encoding": "cp1252"})
    assert rows(st, "SELECT ?l WHERE { ?s skos:notation 'CIDX1' ; rdfs:label ?l }") == [("Smelter \u2019One\u2019",)]


def test_a_byte_order_mark_declares_utf16(s, tmp_path):
    text = TRADE + "2019,BOL,CHL,260800,12.5,t,9000\n"
    f = _file(tmp_path, "t.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    res, st = imported(s, "trade", f)
    assert res.rows == 1
    assert rows(st, "SELECT ?v WHERE { ?f a ot:Export ; qudt:numericValue ?v }") == [("12.5",)]


def test_an_unknown_encoding_option_is_refused(s, tmp_path):
    f = _file(tmp_path, "t.csv", TRADE + "2019,BOL,CHL,260800,12.5,t,9000\n")
    assert problems(s, "trade", f, options={"encoding": "klingon"})[0].startswith("--encoding 'klingon': not an encoding")


def test_text_encoded_twice_is_imported_with_a_warning(s, tmp_path):
    f = _file(tmp_path, "smelters.csv", RMI + "CIDX1,Fonderie de CÃ´te,Tin,Bolivia,Conformant,,\n")
    res, _ = imported(s, "rmi", f)
    assert [str(w) for w in res.warnings] == [
        "smelters.csv:2: 'X1,Fonderie de CÃ´te,Tin,Bolivia' looks like text encoded twice (UTF-8 read as "
        "Windows-1252 and saved again); check the file"]


# ------------------------------------------------------------------ decimal commas
@pytest.mark.parametrize("cell,decimal_comma,expected", [
    ("1,234,567.5", False, Decimal("1234567.5")), ("12,345", False, "ambiguous"), ("1,546", False, "ambiguous"),
    ("0,546", False, "decimal comma"), ("12,5", False, "decimal comma"), ("1.234,5", False, "decimal comma"),
    ("1,23,456", False, "do not group thousands"), ("0546", False, Decimal("546")), (".5", False, Decimal("0.5")),
    ("1.5E+3", False, Decimal("1500")), ("\u0663", False, "digits 0-9"), ("NaN", False, "not a finite number"),
    ("-inf", False, "not a finite number"), ("1e400", False, "implausibly large"), ("1 234", False, "not a number"),
    ("0,546", True, Decimal("0.546")), ("1.234,5", True, Decimal("1234.5")), ("1.234.567", True, Decimal("1234567")),
    ("1.546", True, "ambiguous"), ("1.5", True, "not a number with a decimal comma"), ("", False, None),
])
def test_one_rule_for_numbers(cell, decimal_comma, expected):
    from oretrace.importers.reading import number

    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            number(cell, "quantity", decimal_comma)
    else:
        assert number(cell, "quantity", decimal_comma) == expected


def test_usgs_decimal_comma_is_never_read_as_a_thousands_separator(s, tmp_path):
    f = _file(tmp_path, "Indium.csv", USGS.replace("mine", "refined") + '1990,"0,546",--,--,--,--,--,--,--\n')
    p = problems(s, "usgs", f)
    assert p[0] == ("Indium.csv:2: world production '0,546' has a decimal comma, which is not read as such: write "
                    "0.546 with a point (or read the whole file with --decimal-comma)")
    _, st = imported(s, "usgs", f, options={"decimal_comma": True})
    assert rows(st, "SELECT ?v WHERE { ?o a ot:ProductionObservation ; qudt:numericValue ?v }") == [("0.546",)]


def test_trade_grouped_thousands_are_read_and_ambiguous_ones_refused(s, tmp_path):
    f = _file(tmp_path, "t.csv", TRADE + '2019,BOL,CHL,260800,"1,234,567.5",t,"2,000,000"\n'
                                         '2019,BOL,PER,260800,"1,546",t,9000\n')
    p = problems(s, "trade", f)
    assert p[0].startswith("t.csv:3: quantity '1,546' is ambiguous: 1546 with a thousands separator, or 1.546")
    res, st = imported(s, "trade", f, skip_bad_rows=True)
    assert rows(st, "SELECT ?v WHERE { ?f a ot:Export ; qudt:numericValue ?v }") == [("1234567.5",)]


# ------------------------------------------------------------------ quotes
@pytest.mark.parametrize("kind,name,head,good,opened", [
    ("trade", "t.csv", TRADE, "2019,BOL,CHL,260800,5,t,9000\n", '2019,"BOL,PER,260800,5,t,9000\n'),
    ("usgs", "Tin.csv", USGS, "1990,200,0.60,60,China,40,Peru,20,Bolivia\n", '1991,200,0.60,"60,China,40,Peru,20,Bolivia\n'),
    ("rmi", "r.csv", RMI, "CIDX1,One,Tin,Bolivia,Conformant,,\n", 'CIDX2,"Two,Tin,Bolivia,Conformant,,\n'),
])
def test_an_open_quote_is_reported_at_the_first_line_of_its_record(s, tmp_path, kind, name, head, good, opened):
    f = _file(tmp_path, name, head + good + opened + good.replace("2019", "2020").replace("1990", "1992")
              .replace("CIDX1", "CIDX3") * 3)
    p = problems(s, kind, f, options={"unit": "t"} if kind == "usgs" else None)
    assert p == [f"{name}:3: a quoted field that starts in this record is never closed (the record runs to the end "
                 "of the file, line 6); add the closing quote"]


def test_an_open_quote_in_a_long_file_stops_at_the_field_limit_and_names_its_first_line(s, tmp_path):
    f = _file(tmp_path, "t.csv", TRADE + '2019,"BOL,CHL,260800,5,t,9000\n' + "2019,BOL,PER,260800,5,t,9000\n" * 20000)
    p = problems(s, "trade", f)
    assert p[0].startswith("t.csv:2: a field longer than 131,072 characters starts in this record")


def test_text_after_a_closing_quote_is_reported(s, tmp_path):
    f = _file(tmp_path, "t.csv", TRADE + '2019,"BOL"x,CHL,260800,5,t,9000\n')
    assert problems(s, "trade", f)[0].startswith("t.csv:2: text after the closing quote of a field")


# ------------------------------------------------------------------ binary input
def test_a_spreadsheet_is_named_as_such(s, tmp_path):
    f = _file(tmp_path, "smelters.csv", b"PK\x03\x04\x14\x00\x06\x00" + os.urandom(5000))
    assert problems(s, "rmi", f) == ["smelters.csv:1: not a text table: the file is a ZIP archive (an .xlsx or .ods "
                                     "spreadsheet?): save the sheet as CSV UTF-8 first (it starts with b'PK\\x03\\x04')"]


def test_binary_bytes_in_a_text_file_are_echoed_truncated(s, tmp_path):
    blob = b"\x00\x01\x02" + b"\xff" * 10_000
    f = _file(tmp_path, "t.csv", TRADE.encode() + b"2019,BOL,CHL,260800,5,t,9000\n2019,BOL," + blob + b"\n")
    p = problems(s, "trade", f)
    assert p[0].startswith("t.csv:3: binary data, not a text table") and "at column 10" in p[0]
    echoed = re.search(r"b'.*'", p[0]).group(0)
    assert len(eval(echoed)) <= 24 and len(p[0]) < 300


def test_random_bytes_are_refused_quickly_and_briefly(s, tmp_path):
    f = _file(tmp_path, "Zinc.csv", os.urandom(5_000_000))
    p = problems(s, "usgs", f, options={"unit": "kt"})
    assert re.match(r"Zinc\.csv:\d+: ", p[0]) and len(p[0]) < 300


def test_json_that_is_binary_is_refused(s, tmp_path):
    f = _file(tmp_path, "sites.json", b'[{"name": "A\x00\x01", "record_id": 1}]')
    assert problems(s, "minmod", f)[0].startswith("sites.json:1: binary data, not a text table")


def _run(build, *args, timeout=120):
    env = dict(os.environ, ORETRACE_BUILD=str(build))
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "import", *args, "-q"], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_fifo_a_folder_and_a_device_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "t.csv"
    os.mkfifo(fifo)
    for kind, path, what in [("trade", fifo, "is a FIFO"), ("trade", tmp_path, "is a folder"),
                             ("rmi", Path("/dev/zero"), "is a device")]:
        out = _run(tmp_path / "b", kind, str(path), timeout=60)  # reading a FIFO or /dev/zero would hang
        assert out.returncode == 2 and f"{path}: {what}" in out.stderr and "Traceback" not in out.stderr


# ------------------------------------------------------------------ implausible rows
def test_trade_unit_value_far_out_of_range_is_a_warning_with_its_line(s, tmp_path):
    f = _file(tmp_path, "t.csv", TRADE + "2019,BOL,CHL,260800,5,t,9000\n2019,BOL,PER,260800,0.001,t,99000000\n"
                                         "2019,BOL,ARG,260800,50000,kt,1\n")
    res, _ = imported(s, "trade", f)
    assert res.rows == 3
    assert [(w.line, w.message.split(" USD/t")[0]) for w in res.warnings] == [
        (3, "unit value 9.9e+10"), (4, "unit value 2e-08")]


@pytest.mark.parametrize("row,message", [
    ("2019,BOL,CHL,260800,-5,t,9000", "quantity '-5' is negative"),
    ("2019,BOL,CHL,260800,5,t,-1", "value '-1' is negative"),
    ("2019,BOL,CHL,260800,inf,t,9000", "quantity 'inf' is not a finite number"),
    ("2019,BOL,CHL,260800,5,t,NaN", "value 'NaN' is not a finite number"),
    ("2019,BOL,CHL,260800,1e400,t,9000", "quantity '1e400' is implausibly large"),
    ("2019,BOL,CHL,260800,20000000,kt,9000", "quantity '20000000' is implausibly large (above 10,000,000"),
    ("2019,BOL,BO,260800,5,t,9000", "exporter and importer are both BO"),
])
def test_trade_rows_that_cannot_be_true_are_refused_at_their_line(s, tmp_path, row, message):
    f = _file(tmp_path, "t.csv", TRADE + "2019,BOL,PER,260800,5,t,9000\n" + row + "\n")
    p = problems(s, "trade", f)
    assert p[0].startswith(f"t.csv:3: {message}"), p[0]


@pytest.mark.parametrize("row,message", [
    ("1990,200,0.60,260,China,40,Peru,20,Bolivia", "the 1st producer (China, 260) is above the world total (200)"),
    ("1990,200,0.60,90,China,80,Peru,70,Bolivia", "the leading producers together (240) are above the world total (200)"),
    ("1990,200,60,60,China,40,Peru,20,Bolivia", "concentration ratio 60 is above 1"),
    ("1990,200,0.60,60,China,40,China,20,Bolivia", "the same country is named twice"),
    ("1990,-200,0.60,60,China,40,Peru,20,Bolivia", "world production '-200' is negative"),
    ("1990,nan,0.60,60,China,40,Peru,20,Bolivia", "world production 'nan' is not a finite number"),
    ("1890,200,0.60,60,China,40,Peru,20,Bolivia", "year '1890' is not a year between 1900"),
    ("1989,200,0.60,60,China,40,Peru,20,Bolivia\n1989,200,0.60,60,China,40,Peru,20,Bolivia",
     "the year 1989 is already on line 2"),
])
def test_usgs_rows_that_cannot_be_true_are_refused_at_their_line(s, tmp_path, row, message):
    f = _file(tmp_path, "Tin.csv", USGS + "1989,200,0.60,60,China,40,Peru,20,Bolivia\n" * ("1989" not in row) + row + "\n")
    p = problems(s, "usgs", f, options={"unit": "t"})
    assert p[0].startswith(f"Tin.csv:3: {message}"), p[0]


def test_usgs_odd_rows_of_the_real_tables_are_warnings(s, tmp_path):
    from conftest import shared_path

    f = shared_path("external", "usgs-mineral-dependence", "Cobalt.csv")
    res, _ = write_import(s, "usgs", f, tmp_path / "c.nq", quiet=True, options={"unit": "kt"})
    assert [(w.line, w.message.split(";")[0]) for w in res.warnings] == [
        (7, "the 2nd producer (Zambia, 5.91) is above the 1st (Canada, 5.34)"),
        (11, "the 3rd producer (Zambia, 5.64) is above the 2nd (Canada, 5.32)")]


def _json(tmp_path, records) -> Path:
    return _file(tmp_path, "sites.json", records if isinstance(records, str) else json.dumps(records, indent=1))


def _site(**kw):
    r = {"source_id": "https://example.org/db", "record_id": "7", "name": "Fixture Site",
         "location_info": {"country": [{"observed_name": "Bolivia"}], "location": "POINT(-66.1 -19.5)"},
         "mineral_inventory": [{"commodity": {"observed_name": "Sn"}, "grade": {"value": 1.5, "unit": {"observed_name": "percent"}}}]}
    r.update(kw)
    return r


def test_minmod_records_are_reported_at_the_line_they_start_on(s, tmp_path):
    bad = _site(record_id="8", mineral_inventory=[{"commodity": {"observed_name": "Sn"},
                                                   "grade": {"value": 140, "unit": {"observed_name": "percent"}}}])
    f = _json(tmp_path, [_site(), bad])
    p = problems(s, "minmod", f)
    start = f.read_text().splitlines().index(" {", 2) + 1  # the second record's opening brace
    assert p[0] == (f"sites.json:{start}: record 2 (Fixture Site): mineral_inventory item 1: grade 140 percent of Sn "
                    "is outside 0..100 percent")


@pytest.mark.parametrize("text,message", [
    ('[{"name": "A", "record_id": 1, "location_info": {"location": "POINT(200 95)"}}]', "is outside WGS 84"),
    ('[\n{"name": "A", "record_id": 1,\n "mineral_inventory": [{"grade": {"value": NaN}}]}]',
     "2: in the record that starts here: NaN is not a number JSON allows"),
    pytest.param('[{"name": "A", "record_id": ' + "9" * 5000 + "}]", "an integer of 5,000 digits", id="5000-digits"),
    ('[{"name": "A", "record_id": 1, "x": 1e400}]', "1e400 is beyond the range"),
    pytest.param("[" + "[" * 100000 + "]" * 100000 + "]", "nested too deeply", id="deep-nesting"),
    ('[{"name": "A", "record_id": 1}', "not closed with ']'"),
    ('{"name": "A"}', "expected a JSON array"),
    ('[{"name": 5, "record_id": 1}]', "field 'name' is not a string"),
    ('[{"name": "A", "record_id": 1, "mineral_inventory": [{"reference": {"document": {"uri": "javascript:x"}}}]}]',
     "reference uri 'javascript:x' is not an http(s) URL"),
    ('[{"name": "A", "record_id": 1, "mineral_inventory": [7]}]', "mineral_inventory item 1 is not a JSON object"),
])
def test_minmod_json_that_cannot_be_read_or_be_true_is_refused(s, tmp_path, text, message):
    p = problems(s, "minmod", _json(tmp_path, text))
    assert re.match(r"sites\.json:\d+: ", p[0]) and message in p[0], p[0]


@pytest.mark.parametrize("row,message", [
    ("CIDX1,One,Tin,Bolivia,Conformant,2024-03-12,2023-03-11", "valid-until date 2023-03-11 is before the last audit"),
    ("CIDX1,One,Tin,Bolivia,Conformant,2999-03-12,", "last audit date 2999-03-12 is in the future"),
    ("CIDX1,One,Tin,Bolivia,Conformant,2024-02-30,", "last audit date '2024-02-30' is not a date"),
])
def test_rmi_rows_that_cannot_be_true_are_refused(s, tmp_path, row, message):
    p = problems(s, "rmi", _file(tmp_path, "r.csv", RMI + row + "\n"))
    assert p[0].startswith(f"r.csv:2: {message}"), p[0]


# ------------------------------------------------------------------ the command: exit 2, file:line, no traceback
@pytest.mark.parametrize("kind,name,content,extra,expected", [
    ("usgs", "usgs-latin1/Tin.csv", None, ["--unit", "t"], "Tin.csv:2: byte(s) b'\\xfa"),
    ("trade", "t.csv", TRADE + '2019,BOL,CHL,260800,"0,5",t,9000\n', [], "t.csv:2: quantity '0,5' has a decimal comma"),
    ("rmi", "r.csv", RMI + 'CIDX2,"Two,Tin,Bolivia,Conformant,,\nCIDX3,Three,Tin,Bolivia,Conformant,,\n', [],
     "r.csv:2: a quoted field that starts in this record is never closed"),
    ("trade", "t.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), [], "t.csv:1: not a text table: the file is a PNG image"),
    ("usgs", "Tin.csv", USGS + "1990,200,0.60,260,China,40,Peru,20,Bolivia\n", ["--unit", "t"],
     "Tin.csv:2: the 1st producer (China, 260) is above the world total (200)"),
    ("minmod", "sites.json", '[{"name": "A", "record_id": 1, "v": Infinity}]', [],
     "sites.json:1: in the record that starts here: Infinity is not a number JSON allows"),
], ids=["encoding", "decimal-comma", "open-quote", "binary", "above-world-total", "json-infinity"])
def test_every_class_exits_2_with_file_and_line(tmp_path, kind, name, content, extra, expected):
    path = FIX / name if content is None else _file(tmp_path, name, content)
    out = _run(tmp_path / "b", kind, str(path), *extra)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(expected) and "Traceback" not in out.stderr, out.stderr
    assert "the published store is unchanged" in out.stderr
    assert not (tmp_path / "b" / "current").exists()
    left = list((tmp_path / "b" / "imports").glob("*")) if (tmp_path / "b" / "imports").exists() else []
    assert left == []
