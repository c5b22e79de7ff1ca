"""The answers of the query catalogue on the curated graph: facts stated in the curated sources
(the CATAPA indium report, the IPIS list); where a figure is derived (element content) the test
recomputes it from the graph by a separate route. (The catalogue itself is tested in
test_queries.py.)"""

from __future__ import annotations

import pytest

from catalogue import SH, has_validation, run, short
from oretrace import query
from oretrace.vocab import OT


# ------------------------------------------------------------------ competency questions
def test_who_operates_and_owns_bolivar(store, iris):
    rows = run(store, iris, "site-operator-owner")
    rel = {(r["relation"], r["actor"]) for r in rows}
    assert rel == {("operated by", "actor/illapa"), ("owned by", "actor/comibol")}
    assert {r["parent"] for r in rows if r["actor"] == "actor/illapa"} == {"actor/glencore"}
    assert all(r["document"] == "source/catapa-indium-report" for r in rows)


def test_ports_bolivian_zinc_concentrate_leaves_through(store, iris):
    rows = run(store, iris, "export-ports")
    ports = {r["port"]: r["portCountry"] for r in rows}
    assert ports["site/port-of-arica"] == "country/CL" and ports["site/port-of-iquique"] == "country/CL"


def test_france_indium_2018(store, iris):
    rows = run(store, iris, "element-production-exports")
    prod = [r for r in rows if r["kind"] == "production"]
    assert [(r["item"], float(r["value"])) for r in prod] == [("observation/fr-indium-production-2018", 40.0)]
    exports = {(r["destination"], float(r["value"])) for r in rows if r["kind"] == "Export"}
    assert exports == {("country/JP", 30.0), ("country/KR", 30.0), ("country/US", 30.0)}


def test_bolivian_royalty_on_indium(store, iris):
    rows = run(store, iris, "royalty-on-element")
    assert len(rows) == 1
    r = rows[0]
    assert float(r["rate"]) == 5 and r["unit"].endswith("/PERCENT") and r["law"] == "law/bolivia-law-535-2014"
    assert r["lawNumber"] == "535" and r["material"] == "material/indium-ore"


def test_sources_of_the_584_ppm_figure(store, iris):
    rows = run(store, iris, "figure-sources")
    assert {r["item"] for r in rows} == {"observation/bolivar-mine-indium-content"}
    assert {r["document"] for r in rows} == {"source/catapa-indium-report"}
    assert {r["citedSource"] for r in rows} == {"source/ishihara-2011"}
    assert all("footnote 2" in r["where"] for r in rows)


def test_chain_from_oruro_cooperatives_to_ito_producers(store, iris):
    rows = run(store, iris, "chain-to-product")
    order = [r["process"] for r in rows]
    steps = [int(r["step"]) for r in rows]
    assert steps == sorted(steps)
    assert order[0] == "process/oruro-cooperative-extraction"
    expected = ["process/oruro-cooperative-extraction", "process/oruro-local-trading", "process/arica-antwerp-sea-transport",
                "process/auby-zinc-smelting", "process/auby-indium-refining", "process/ito-manufacturing"]
    assert [p for p in order if p in expected] == expected
    ito = iris.entity("material", "ito")
    makers = {r["process"] for r in rows if ito in (r["outputs"] or "").split()}
    assert "process/ito-manufacturing" in makers
    # every process listed leads on to an ITO maker, so the last step is one
    assert order[-1] in makers


def test_who_buys_from_whom(store, iris):
    pairs = {(r["seller"], r["buyer"]) for r in run(store, iris, "who-buys-from-whom")}
    assert {("actor/oruro-mining-cooperatives", "actor/bolivian-local-traders"),
            ("actor/bolivian-local-traders", "actor/trafigura"),
            ("actor/bolivian-local-traders", "actor/korea-zinc"),
            ("actor/nyrstar", "actor/umicore")} <= pairs


def test_auby_feed(store, iris):
    rows = run(store, iris, "smelter-feed")
    assert ("feed from", "country/BO") in {(r["link"], r["from"]) for r in rows}
    assert "flow/antwerp-auby-inland-shipment" in {r["flow"] for r in rows}


def test_indium_end_uses(store, iris):
    rows = run(store, iris, "end-uses")
    assert ("material/flat-panel-display", 60.0) in {(r["application"], float(r["share"])) for r in rows}


def test_3tg_exports_from_conflict_areas(store, iris):
    rows = run(store, iris, "conflict-area-exports")
    assert {r["export"] for r in rows} == {"flow/eastern-drc-3tg-export"}
    assert {r["material"] for r in rows} == {"material/3t-minerals", "material/gold"}


def test_risks_in_bolivia(store, iris):
    rows = run(store, iris, "risks-in-place")
    kinds = {(r["risk"], r["kind"]) for r in rows}
    assert ("risk/oruro-mining-soil-water-pollution", "ot:PollutionRisk") in kinds
    assert ("risk/bolivia-indium-unpaid", "ot:GovernanceRisk") in kinds


def test_bolivian_zinc_concentrate_production(store, iris):
    rows = run(store, iris, "production-series")
    totals = {int(r["year"]): float(r["value"]) for r in rows if r["measure"] == "ot:TotalProduction"}
    assert sorted(totals) == [1980, 1981, 1982, 1983, 1984, 1985]
    assert totals[1980] == pytest.approx(46236.373)


def test_vessels_carrying_bolivian_concentrate(store, iris):
    rows = run(store, iris, "flow-carriers")
    assert ("flow/arica-antwerp-sea-shipment", "vessel/jan-van-gent") in {(r["flow"], r["carrier"]) for r in rows}


def test_royalty_gaps(store, iris):
    rows = run(store, iris, "royalty-gaps")
    assert all(r["status"] in ("ot:RoyaltyNotDeclared", "not stated") for r in rows)
    unpaid = {(r["export"], float(r["unpaid"])) for r in rows if r["unpaid"]}
    assert ("flow/bolivia-indium-content-exports-2011", 6050000.0) in unpaid
    assert {"flow/arica-zinc-concentrate-exports-2019"} <= {r["export"] for r in rows}


# ------------------------------------------------------------------ the rest of the catalogue
def test_chain_downstream_and_upstream(store, iris):
    down = run(store, iris, "chain-downstream")
    steps = {r["step"] for r in down}
    assert {"process/auby-zinc-smelting", "flow/antwerp-auby-inland-shipment", "flow/oruro-miners-sale-to-local-traders"} <= steps
    up = run(store, iris, "chain-upstream")
    steps = {r["step"] for r in up}
    assert {"process/oruro-cooperative-extraction", "flow/arica-antwerp-sea-shipment"} <= steps
    # nothing downstream of the smelter comes back as its upstream
    assert "process/ito-manufacturing" not in steps


def test_flows_by_year_and_route(store, iris):
    rows = run(store, iris, "flows-by-year-route")
    r1980 = [r for r in rows if r["flow"] == "flow/bo-be-zinc-concentrate-export-1980"]
    assert len(r1980) == 1 and r1980[0]["year"] == "1980" and float(r1980[0]["quantity"]) == pytest.approx(7526.671)
    assert r1980[0]["route"] == f"{iris.base}/id/country/BO > {iris.base}/id/country/BE"
    trucking = [r for r in rows if r["flow"] == "flow/oruro-to-chile-ports-trucking"]
    assert trucking and "border-check" in trucking[0]["route"]


def test_element_content_is_tonnage_times_concentration(store, iris):
    rows = run(store, iris, "element-content-of-flows")
    assert rows
    for r in rows:
        assert r["tonnageDocument"] and r["concentrationDocument"]
        factor = {"PPM": 1e-6, "PERCENT": 1e-2}[r["concentrationUnit"].rsplit("/", 1)[-1]]
        assert float(r["content"]) == pytest.approx(float(r["tonnage"]) * float(r["concentration"]) * factor, abs=1e-3)
    (t,) = query.run_store(store, f"SELECT ?t WHERE {{ ?q <{OT}subject> <{iris.base}/id/flow/bo-be-zinc-concentrate-export-1980> ; "
                                  f"<http://qudt.org/schema/qudt/numericValue> ?t }}").rows[0]
    row = [r for r in rows if r["flow"] == "flow/bo-be-zinc-concentrate-export-1980"][0]
    assert row["measuredOn"] == "material/polymetallic-ag-pb-zn-ore" and float(row["concentration"]) == 584
    assert float(row["content"]) == pytest.approx(float(t.value) * 584e-6, abs=1e-3)


def test_fact_sources(store, iris):
    rows = run(store, iris, "fact-sources")
    assert all(r["document"] and r["where"] for r in rows)
    owned = [r for r in rows if r["property"] == "ot:ownedBy"]
    assert owned and owned[0]["value"] == "actor/comibol" and owned[0]["file"].startswith("data/")


def test_source_disagreements_none_on_curated_graph(store, iris):
    assert run(store, iris, "source-disagreements") == []


def test_due_diligence_along_chain(store, iris):
    rows = run(store, iris, "due-diligence-along-chain")
    r = {x["flow"]: x for x in rows}["flow/eastern-drc-3tg-export"]
    stated = query.run_store(store, f"ASK {{ <{iris.base}/id/flow/eastern-drc-3tg-export> <{OT}dueDiligenceStatus> ?s }}").boolean
    assert (r["status"] == "not stated") is (not stated)


def test_validation_findings(store, iris):
    if not has_validation(store, iris):
        pytest.skip("no validation report graph in this build (validate.build_step absent)")
    rows = run(store, iris, "validation-findings")
    n = query.run_store(store, f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH <{iris.validation_graph}> "
                               f"{{ ?r a <{SH}ValidationResult> }} }}").rows[0][0]
    foci = query.run_store(store, f"SELECT DISTINCT ?f WHERE {{ GRAPH <{iris.validation_graph}> "
                                  f"{{ ?r a <{SH}ValidationResult> ; <{SH}focusNode> ?f }} }}").rows
    assert {r["focus"] for r in rows} == {short(f, iris) for (f,) in foci}
    sev = [r["severity"] for r in rows]
    order = {SH + "Violation": 0, SH + "Warning": 1}
    assert [order.get(s, 2) for s in sev] == sorted(order.get(s, 2) for s in sev)
    summary = run(store, iris, "validation-summary")
    assert sum(int(r["results"]) for r in summary) == int(n.value)


def test_evidence_gaps_ranked_by_tonnage(store, iris):
    rows = run(store, iris, "evidence-gaps")
    tonnes = [float(r["tonnesDepending"]) if r["tonnesDepending"] else -1 for r in rows]
    assert tonnes == sorted(tonnes, reverse=True)
    for r in rows:
        assert r["fromPlace"] != r["toPlace"]
    # a link that a flow documents is not a gap: Arica -> Antwerp is the sea shipment
    assert ("process/arica-cargo-preparation", "process/arica-antwerp-sea-transport") not in {(r["from"], r["to"]) for r in rows}


def test_statements_from_source_and_overview(store, iris):
    rows = run(store, iris, "statements-from-source")
    n = query.run_store(store, f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ ?g a <{OT}Statement> ; "
                               f"<http://www.w3.org/ns/prov#wasDerivedFrom> <{iris.base}/id/source/catapa-indium-report> }}").rows[0][0]
    assert len({r["statement"] for r in rows}) == int(n.value) > 100
    over = {r["source"]: r for r in run(store, iris, "sources-overview")}
    assert int(over["source/catapa-indium-report"]["firstHand"]) == int(n.value)
    assert int(over["source/ishihara-2011"]["cited"]) >= 1 and int(over["source/ishihara-2011"]["firstHand"]) == 0


def test_inferred_members(store, iris):
    rows = run(store, iris, "inferred-members")
    m = {r["member"]: r["how"] for r in rows}
    assert m["flow/arica-zinc-concentrate-exports-2019"] == "inferred"


def test_actors_in_bolivia(store, iris):
    rows = {r["actor"]: r for r in run(store, iris, "actors-in-country")}
    assert rows["actor/comibol"]["kind"] == "StateMiningCompany" and "site/bolivar-mine" in rows["actor/comibol"]["sites"]
    assert rows["actor/oruro-mining-cooperatives"]["kind"] == "MiningCooperative"


def test_mass_balance(store, iris):
    rows = {(r["producer"], r["year"]): r for r in run(store, iris, "mass-balance")}
    fr = rows[("country/FR", "2018")]
    assert float(fr["production"]) == 40 and float(fr["exports"]) == 30 and float(fr["percentExported"]) == 75
