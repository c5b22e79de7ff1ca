"""Property: malformed bytes fed to any importer give exit 2 with `file:line`, or an import whose
N-Quads Oxigraph parses; never a traceback, never a message that echoes a whole file.

Hypothesis mutates a valid file of each kind (CSV, TSV and JSON) with the faults real files have
(quotes, separators, line ends, NUL and high bytes, byte order marks, decimal commas, huge and
non-finite numbers, truncation, repeated and dropped bytes) and also feeds pure noise, under
each encoding and number option. Every example runs the importer in the process, as the
command does, and must finish within the deadline.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT
from oretrace.config import Settings
from oretrace.importers import ImportFailure, write_import

SEEDS = {
    "trade": ("t.csv", b"year,exporter,importer,commodity_code,quantity,unit,value_usd\n"
                       b"2019,BOL,CHL,260800,1200.5,t,950000\n2019,Bolivia,BEL,811292,2.5,t,410000\n"
                       b"2020,BO,BE,2608.00,800,kt,\n2020,DR Congo,RWA,261590,\"35\",t,1200000\n", {}),
    "trade-tsv": ("t.tsv", b"year\texporter\timporter\tcommodity_code\tquantity_t\tvalue_usd\n"
                           b"2019\tBOL\tCHL\t260800\t1200.5\t950000\n2021\tPER\tCHN\t260900\t3\t1000\n", {}),
    "usgs": ("Tin.csv", b"Year,Worldmineproduction,Concentrationratio,1stMineproduction,1stCountry,2ndMineproduction,"
                        b"2ndCountry,3rdMineproduction,3rdCountry\n1990,200,0.60,60,China,40,Peru,20,Bolivia\n"
                        b"1991,210,--,65,China,42,Peru,--,--\n", {"unit": "t"}),
    "rmi": ("r.csv", b"Smelter ID,Standard Smelter Name,Metal,Country Location,Assessment Status,Last Audit Date,"
                     b"Valid Until\nCIDX1,\"Smelter, One\",Tin,Bolivia,Conformant,2024-03-12,2025-03-11\n"
                     b"CIDX2,Two,Gold,Switzerland,Active,,\n", {}),
    "minmod": ("sites.json", b'[{"source_id": "https://example.org/db", "record_id": "7", "name": "Fixture Site",\n'
                             b' "location_info": {"country": [{"observed_name": "Bolivia"}], "location": "POINT(-66.1 -19.5)"},\n'
                             b' "mineral_inventory": [{"commodity": {"observed_name": "Sn"}, "date": "2001",\n'
                             b'   "reference": {"document": {"uri": "https://example.org/doc", "title": "A list"}},\n'
                             b'   "grade": {"value": 1.5, "unit": {"observed_name": "percent"}}}]},\n'
                             b' {"record_id": 8, "name": "Second"}]\n', {}),
}
TOKENS = [b'"', b'""', b",", b"\t", b";", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xfa", b"\x92",
          b"\xef\xbb\xbf", b"\xff\xfe", b"0,5", b"1,546", b"1e400", b"NaN", b"-", b"inf", b"9" * 40, b"[", b"{",
          b"}", b"]", b":", b"\\", b"<", b">", b" ", b"\xe2\x80\xa8", b"\x1b[31m", b"PK\x03\x04", b"\xed\xa0\x80"]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """The seed with a few faults, most of them after the header (a broken header is found at once)."""
    data = bytearray(seed)
    body = seed.index(b"\n") + 1
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "insert", "insert", "delete", "repeat", "truncate", "flip"]))
        at = draw(st.integers(0, len(data)) if draw(st.integers(0, 9)) == 0 else st.integers(min(body, len(data)), len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 12))]
        elif op == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 40))] * draw(st.integers(2, 30))
        elif op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            i = min(at, len(data) - 1)
            data[i] = draw(st.integers(0, 255))
    return bytes(data)


ALLOWED = [r"{name}:\d+: \S", r"warning: {name}:\d+: \S", r"(warning: )?\.\.\. and \d+ more \w",
           r"\d+ faulty rows? in {name}; nothing was imported"]


def check(kind: str, data: bytes, options: dict, skip: bool) -> None:
    name, _, base = SEEDS[kind]
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        path = work / name
        path.write_bytes(data)
        s = Settings(root=ROOT, build=work / "b")
        try:
            res, _ = write_import(s, kind.split("-")[0], path, work / "out.nq", skip_bad_rows=skip, quiet=True,
                                  options={**base, **options})
        except ImportFailure as e:
            assert e.code == 2
            assert e.problems and re.match(rf"{re.escape(name)}:\d+: \S", e.problems[0]), e.problems
            pats = [re.compile(p.format(name=re.escape(name))) for p in ALLOWED]
            for p in e.problems:
                assert any(x.match(p) for x in pats), p
                assert len(p) < 2000, p[:200]
            return
        ox.Store().load(path=str(res.file), format=ox.RdfFormat.N_QUADS)  # what was written is valid N-Quads
        for w in res.warnings:
            assert w.file == name and w.line >= 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


OPTIONS = st.sampled_from([{}] * 6 + [{"decimal_comma": True}] * 2 + [
    {"encoding": "latin-1"}, {"encoding": "cp1252"}, {"encoding": "utf-8"}, {"encoding": "utf-16"},
    {"encoding": "utf-16-le"}, {"encoding": "cp1252", "decimal_comma": True}])
FUZZ = settings(max_examples=1000, deadline=5000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_mutated_files_give_file_and_line_or_a_valid_import(kind):
    @FUZZ
    @given(data=mutated(SEEDS[kind][1]), options=OPTIONS, skip=st.booleans())
    def run(data, options, skip):
        check(kind, data, options, skip)

    run()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_noise_gives_file_and_line(kind):
    @settings(max_examples=200, deadline=5000, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.binary(min_size=1, max_size=4000), options=OPTIONS)
    def run(data, options):
        check(kind, data, options, False)

    run()
