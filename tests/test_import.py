"""The importers on the real files in ../shared/external and on the project's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, shared_path
from oretrace import query
from oretrace.config import Settings
from oretrace.importers import ImportFailure, check_shapes, countries, hs, write_import

FIX = ROOT / "tests" / "fixtures" / "imports"


def _write(settings, kind, path, tmp_path, **kw):
    res, em = write_import(settings, kind, Path(path), tmp_path / f"{kind}.nq", quiet=True, **kw)
    st = ox.Store()
    st.load(path=str(res.file), format=ox.RdfFormat.N_QUADS)
    return res, em, st


def _select(st, text):
    return query.run_store(st, query.with_prefixes(text)).rows


# ------------------------------------------------------------------ countries
@pytest.mark.parametrize("name,code", [("S.Korea", "KR"), ("Congo-K", "CD"), ("N.Korea", "KP"), ("S.Africa", "ZA"),
                                       ("Zaire", "CD"), ("BOL", "BO"), ("068", "BO"), ("Bolivia", "BO"),
                                       ("United States of America", "US")])
def test_country_names_resolve_to_iso_codes(name, code):
    assert countries.resolve(name).code == code


def test_ussr_is_a_former_country_without_iso_3166_1_code():
    p = countries.resolve("USSR")
    assert p.kind == "place" and p.code == "SUHH" and "no ISO 3166-1 code" in p.note


@pytest.mark.parametrize("name", ["Congo", "Australia/Canada1", "Atlantis", "Belgium/Lux."])
def test_ambiguous_or_unknown_names_are_reported_not_guessed(name):
    with pytest.raises(countries.UnknownPlace):
        countries.resolve(name)


# ------------------------------------------------------------------ trade
def test_trade_rows_become_export_flows_with_provenance(settings, tmp_path):
    res, em, st = _write(settings, "trade", FIX / "trade-ok.csv", tmp_path)
    assert res.rows == 5 and res.skipped == []
    rows = _select(st, """SELECT ?o ?d ?y ?code ?row WHERE {
        GRAPH ?g { ?f a ot:Export ; ot:origin ?oc ; ot:destination ?dc ; ot:year ?y ; ot:commodityCode ?code }
        ?oc ot:iso3166Code ?o . ?dc ot:iso3166Code ?d .
        GRAPH <https://w3id.org/oretrace/graph/provenance> { ?g prov:wasDerivedFrom ?ds ; ot:citation/ot:row ?row .
                   ?ds a ot:Statistic } } ORDER BY ?row""")
    got = [(o.value, d.value, int(y.value), c.value, r.value) for o, d, y, c, r in rows]
    assert got == [("BO", "CL", 2019, "260800", "2"), ("BO", "BE", 2019, "811292", "3"), ("BO", "BE", 2020, "260800", "4"),
                   ("CD", "RW", 2020, "261590", "5"), ("BO", "BE", 2021, "260900", "6")]
    # the tonnage is a figure of the flow (docs/modelling.md), not a number on it
    kt = _select(st, """SELECT ?v ?u WHERE { ?f ot:commodityCode '260800' ; ot:year 2020 .
        ?q a ot:FlowQuantityObservation ; ot:subject ?f ; ot:measures ot:ExportQuantity ; ot:year 2020 ;
           qudt:numericValue ?v ; qudt:hasUnit ?u }""")
    assert not _select(st, "SELECT ?f WHERE { ?f a ot:Export ; qudt:numericValue ?v }")
    assert [(v.value, u.value) for v, u in kt] == [("800", "http://qudt.org/vocab/unit/KiloTONNE")]
    assert check_shapes(settings, "trade", em) == []


def test_indium_has_no_hs_code_and_is_not_claimed(settings, tmp_path):
    """8112.92 may carry indium, gallium, germanium, niobium or vanadium: a group, not an indium-bearing material."""
    nomen = hs.load(settings.shared_dir)
    assert not any("indium" in d.lower() and "gallium" not in d.lower() for d in nomen.codes.values())
    _, _, st = _write(settings, "trade", FIX / "trade-ok.csv", tmp_path)
    m = "<https://w3id.org/oretrace/id/material/hs-811292>"
    assert query.run_store(st, query.with_prefixes(f"ASK {{ {m} a ot:MaterialGroup ; ot:groupMember ot:Indium }}")).boolean
    assert not query.run_store(st, query.with_prefixes(f"ASK {{ {m} ot:containsElement ?e }}")).boolean
    zinc = "<https://w3id.org/oretrace/id/material/hs-260800>"
    assert query.run_store(st, query.with_prefixes(f"ASK {{ {zinc} ot:containsElement ot:Zinc ; a ot:MinedMaterial }}")).boolean


def test_codes_are_checked_against_the_full_nomenclature(settings, tmp_path):
    shared_path("external", "hs-codes")
    nomen = hs.load(settings.shared_dir)
    assert nomen.full and len(nomen.codes) > 5000 and "811292" in nomen.codes
    bad = tmp_path / "bad.csv"
    bad.write_text("year,exporter,importer,commodity_code,quantity_t,value_usd\n2019,BOL,CHL,260801,5,10\n")
    with pytest.raises(ImportFailure, match=r"bad.csv:2: commodity code 260801 is not in the HS 2022"):
        write_import(settings, "trade", bad, tmp_path / "o.nq", quiet=True)


# ------------------------------------------------------------------ USGS
def test_usgs_indium_world_production_in_thousand_tonnes(settings, tmp_path):
    f = shared_path("external", "usgs-mineral-dependence", "Indium.csv")
    res, em, st = _write(settings, "usgs", f, tmp_path)
    assert res.rows == 21 and res.skipped == []
    rows = _select(st, """SELECT ?v ?u WHERE { ?o a ot:ProductionObservation ; ot:subject <https://w3id.org/oretrace/id/place/world> ;
        ot:year 2010 ; ot:material ot:Indium ; qudt:numericValue ?v ; qudt:hasUnit ?u }""")
    assert [(v.value, u.value) for v, u in rows] == [("0.609", "http://qudt.org/vocab/unit/KiloTONNE")]
    lead = _select(st, "SELECT ?c WHERE { ?r a ot:RankObservation ; ot:measures ot:ProductionRank ; ot:year 2006 ; qudt:numericValue 2.0 ; ot:subject/ot:iso3166Code ?c }")
    assert [c.value for (c,) in lead] == ["KR"]  # "S.Korea" in the table
    assert check_shapes(settings, "usgs", em) == []


def test_usgs_unknown_unit_is_asked_for_and_former_countries_kept(settings, tmp_path):
    f = shared_path("external", "usgs-mineral-dependence", "Cobalt.csv")
    with pytest.raises(ImportFailure, match="does not say its unit"):
        write_import(settings, "usgs", f, tmp_path / "o.nq", quiet=True)
    res, em, st = _write(settings, "usgs", f, tmp_path, options={"unit": "kt"})
    ussr = _select(st, """SELECT ?n WHERE { ?o ot:year 1990 ; ot:subject ?p ; a ot:ProductionObservation .
                          ?p skos:notation ?n }""")
    assert [n.value for (n,) in ussr] == ["SUHH"]
    zaire = _select(st, "SELECT ?c WHERE { ?r a ot:RankObservation ; ot:measures ot:ProductionRank ; ot:year 1990 ; qudt:numericValue 1.0 ; ot:subject/ot:iso3166Code ?c }")
    assert [c.value for (c,) in zaire] == ["CD"]


def test_usgs_ambiguous_congo_is_reported(settings, tmp_path):
    f = shared_path("external", "usgs-mineral-dependence", "Tantalum.csv")
    with pytest.raises(ImportFailure) as e:
        write_import(settings, "usgs", f, tmp_path / "o.nq", quiet=True, options={"unit": "t"})
    assert "Tantalum.csv:12: 'Congo' is ambiguous" in e.value.problems[0]
    res, _ = write_import(settings, "usgs", f, tmp_path / "o.nq", quiet=True, options={"unit": "t"}, skip_bad_rows=True)
    assert [e.line for e in res.skipped] == [12] and res.rows == 19


# ------------------------------------------------------------------ MinMod
def test_minmod_sites_link_to_curated_sites(built, tmp_path):
    f = shared_path("external", "minmod-data", "data", "mineral-sites", "usc", "world_tin_tungsten_deposit")
    res, em, st = _write(built, "minmod", f, tmp_path)
    assert res.rows == 954 and res.skipped == []
    bolivar = "<https://w3id.org/oretrace/id/site/bolivar-mine>"
    assert query.run_store(st, query.with_prefixes(
        f"ASK {{ {bolivar} ot:latitude ?lat ; ot:longitude ?lon . ?o ot:subject {bolivar} ; ot:element ot:Tin }}")).boolean
    # the curated site is not duplicated: no new site is labelled Bolivar in Bolivia
    dup = _select(st, "SELECT ?s WHERE { ?s a ot:Site ; rdfs:label 'Bolivar'@en }")
    assert dup == []
    assert any("site/bolivar-mine" in n for n in res.notes)
    assert check_shapes(built, "minmod", em) == []


def test_minmod_zinc_lead_records_with_grades(built, tmp_path):
    f = shared_path("external", "minmod-data", "data", "mineral-sites", "usc", "mudd_jowitt_2017_zinc_lead")
    res, em, st = _write(built, "minmod", f, tmp_path)
    assert res.rows == 851
    porco = _select(st, """SELECT ?v WHERE { ?s a ot:Site ; rdfs:label 'Porco'@en ; ot:country/ot:iso3166Code 'BO' .
                           ?o ot:subject ?s ; ot:element ot:Zinc ; qudt:numericValue ?v ; qudt:hasUnit unit:PERCENT }""")
    curated_porco = query.run_store(__import__("oretrace.store", fromlist=["open_store"]).open_store(built), query.with_prefixes(
        "ASK { ?s a ot:Site ; rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), 'porco')) }")).boolean
    # a curated Porco takes the facts; otherwise the record is a site of its own
    assert (porco == []) == curated_porco


# ------------------------------------------------------------------ smelter lists
def test_rmi_smelter_list_fixture(settings, tmp_path):
    res, em, st = _write(settings, "rmi", FIX / "rmi-smelters.csv", tmp_path)
    assert res.rows == 4
    rows = _select(st, """SELECT ?cid ?cls ?c ?metal WHERE { ?s skos:notation ?cid ; a ?cls ; ot:country/ot:iso3166Code ?c .
                          ?p ot:performedAt ?s ; ot:output ?metal } ORDER BY ?cid""")
    got = [(a.value, b.value.rsplit("#")[-1], c.value, d.value.rsplit("#")[-1]) for a, b, c, d in rows]
    assert got == [("CIDFIX0001", "Smelter", "BO", "Tin"), ("CIDFIX0002", "Smelter", "RW", "Tantalum"),
                   ("CIDFIX0003", "Refinery", "CH", "Gold"), ("CIDFIX0004", "Smelter", "VN", "Tungsten")]
    assert check_shapes(settings, "rmi", em) == []


def test_rmi_faulty_rows_are_listed(settings, tmp_path):
    with pytest.raises(ImportFailure) as e:
        write_import(settings, "rmi", FIX / "rmi-smelters-bad.csv", tmp_path / "o.nq", quiet=True)
    text = "\n".join(e.value.problems)
    for line, what in [(3, "Unobtainium"), (4, "'Congo' is ambiguous"), (5, "Probably fine"), (6, "already on line 2")]:
        assert f"rmi-smelters-bad.csv:{line}: " in text and what in text


# ------------------------------------------------------------------ the command, end to end
def test_import_command_publishes_a_release_with_the_import(tmp_path):
    shared_path("external", "usgs-mineral-dependence")
    env = dict(os.environ, ORETRACE_BUILD=str(tmp_path / "b"))
    cmd = [sys.executable, "-m", "oretrace", "--root", str(ROOT), "import", "usgs",
           str(shared_path("external", "usgs-mineral-dependence", "Indium.csv")), "-q"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "imported usgs-indium: 21 rows" in out.stdout
    from oretrace import store
    s = Settings(root=ROOT, build=tmp_path / "b")
    man = store.manifest(s)
    st = store.open_store(s)
    assert "usgs-indium" in man["imports"] and (tmp_path / "b" / "imports" / "usgs-indium.nq").is_file()
    # the rules classified the imported observations (superclasses), as HermiT does the curated ones
    assert query.run_store(st, query.with_prefixes(
        "ASK { GRAPH <https://w3id.org/oretrace/graph/inferred> { <https://w3id.org/oretrace/id/observation/usgs-indium-2010-world> a ot:Observation } }")).boolean
