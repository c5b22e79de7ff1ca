"""A small store in the figure pattern of docs/modelling.md (every number an observation node, flows
without numbers), holding figures of the CATAPA indium report as the curated files give them, for
the reconciliation tests to run on before the curated graph is migrated to that pattern.

`fixture_quads(base)` gives the quads: one named graph per statement, the provenance graph (document,
locator, cited sources, confidence, identifier), the few ontology and inferred triples the queries
read (element and country types, flow superclasses). Every figure is one the seed states; statement
identifiers are those of data/sources/catapa-indium-report.yaml.
"""

from __future__ import annotations

import pyoxigraph as ox

from oretrace.vocab import DCTERMS, OT, PROV, QUDT, RDF, RDFS, XSD

UNIT = "http://qudt.org/vocab/unit/"
A = RDF + "type"
FLOW_CLASSES = ("Export", "Import", "Shipment", "Sale", "Flow")


class Fixture:
    def __init__(self, base: str = "https://w3id.org/oretrace"):
        self.base = base.rstrip("/")
        self.quads: list[ox.Quad] = []
        self.prov = ox.NamedNode(self.base + "/graph/provenance")
        self.inferred = ox.NamedNode(self.base + "/graph/inferred")
        self.onto = ox.NamedNode(self.base + "/graph/ontology")
        self.line = 0

    def iri(self, ref: str) -> ox.NamedNode:
        if ref.startswith("http"):
            return ox.NamedNode(ref)
        if "/" in ref:
            return ox.NamedNode(f"{self.base}/id/{ref}")
        return ox.NamedNode(OT + ref)

    def add(self, s, p, o, g):
        self.quads.append(ox.Quad(self.iri(s) if isinstance(s, str) else s, ox.NamedNode(p), o, g))

    def lit(self, v):
        if isinstance(v, bool):
            return ox.Literal("true" if v else "false", datatype=ox.NamedNode(XSD + "boolean"))
        if isinstance(v, int):
            return ox.Literal(str(v), datatype=ox.NamedNode(XSD + "integer"))
        if isinstance(v, str) and v.replace(".", "", 1).isdigit():
            return ox.Literal(v, datatype=ox.NamedNode(XSD + "decimal"))
        return ox.Literal(str(v), language="en")

    def statement(self, sid: str, *, confidence: str = "Stated", cites=(), where: str = "", doc="catapa-indium-report"):
        g = ox.NamedNode(f"{self.base}/id/statement/{sid}")
        self.line += 10
        p = self.prov
        cit = ox.NamedNode(g.value + "#citation")
        for pred, obj in ((A, ox.NamedNode(OT + "Statement")), (DCTERMS + "identifier", ox.Literal(sid)),
                          (PROV + "wasDerivedFrom", self.iri(f"source/{doc}")), (OT + "citation", cit),
                          (OT + "confidence", ox.NamedNode(OT + confidence)),
                          (OT + "curatedFile", ox.Literal(f"data/sources/{doc}.yaml")),
                          (OT + "curatedLine", ox.Literal(str(self.line), datatype=ox.NamedNode(XSD + "integer")))):
            self.quads.append(ox.Quad(g, ox.NamedNode(pred), obj, p))
        self.quads.append(ox.Quad(cit, ox.NamedNode(A), ox.NamedNode(OT + "Citation"), p))
        self.quads.append(ox.Quad(cit, ox.NamedNode(OT + "locatorText"), ox.Literal(where or "figure 2"), p))
        for c in cites:
            self.quads.append(ox.Quad(g, ox.NamedNode(OT + "citesSource"), self.iri(f"source/{c}"), p))
        return g

    def node(self, g, ref: str, **props):
        s = self.iri(ref)
        for k, v in props.items():
            pred = {"a": A, "label": RDFS + "label"}.get(k) or (QUDT + k if k in ("numericValue", "hasUnit") else OT + k)
            for one in v if isinstance(v, (list, tuple)) else [v]:
                if k == "a":
                    self.quads.append(ox.Quad(s, ox.NamedNode(A), ox.NamedNode(OT + one), g))
                    if one in FLOW_CLASSES:
                        self.quads.append(ox.Quad(s, ox.NamedNode(A), ox.NamedNode(OT + "Flow"), self.inferred))
                    continue
                if isinstance(one, str) and (one.startswith(("country/", "site/", "material/", "flow/", "royalty/",
                                                              "law/", "place/", "actor/", "region/"))
                                             or one in ("Indium", "Zinc", "Silver", "Oxygen", "RoyaltyNotDeclared")
                                             or one.startswith(UNIT) or one[:1].isupper() and " " not in one and k != "label"):
                    o = ox.NamedNode(one) if one.startswith("http") else self.iri(one)
                elif k == "commodityCode":
                    o = ox.Literal(one)
                else:
                    o = self.lit(one)
                self.quads.append(ox.Quad(s, ox.NamedNode(pred), o, g))

    def figure(self, g, slug: str, cls: str, measure: str, subject: str, value=None, unit="TONNE", **props):
        extra = {}
        if value is not None:
            extra["numericValue"] = value if isinstance(value, str) else str(value)
        self.node(g, f"observation/{slug}", a=cls, measures=measure, subject=subject, hasUnit=UNIT + unit,
                  **extra, **props)


def fixture_quads(base: str = "https://w3id.org/oretrace") -> list[ox.Quad]:
    f = Fixture(base)
    # reference: countries, places, materials (as the curated entity files give them)
    ref = ox.NamedNode(f.base + "/id/statement/entity/reference")
    for code, name in (("FR", "France"), ("BE", "Belgium"), ("BO", "Bolivia"), ("US", "United States"),
                       ("JP", "Japan"), ("KR", "South Korea"), ("DE", "Germany"), ("CN", "China"), ("ES", "Spain"),
                       ("NL", "Netherlands")):
        f.node(ref, f"country/{code}", a="Country", label=name)
    f.node(ref, "place/european-union", a="Place", label="European Union")
    f.node(ref, "site/nyrstar-auby", a="Smelter", label="Nyrstar Auby", country="country/FR")
    f.node(ref, "site/umicore-hoboken", a="Smelter", label="Umicore Hoboken", country="country/BE")
    f.node(ref, "site/port-of-antwerp", a="Port", label="Port of Antwerp", country="country/BE")
    f.node(ref, "site/bolivar-mine", a="Mine", label="Bolivar mine", country="country/BO")
    f.node(ref, "material/unwrought-indium-and-powder", a="RefinedMetal",
           label="unwrought indium and indium powder (trade category)", containsElement="Indium")
    f.node(ref, "material/bolivian-zinc-concentrate", a="Concentrate", label="Bolivian zinc(-silver) concentrate",
           containsElement=["Zinc", "Silver", "Indium"], derivedFromMaterial="material/polymetallic-ag-pb-zn-ore")
    f.node(ref, "material/polymetallic-ag-pb-zn-ore", a="Ore", label="polymetallic silver-lead-zinc ore")
    f.node(ref, "material/indium-ore", a="Ore", label="indium ore (as named in Bolivian law 535)", containsElement="Indium")
    f.node(ref, "material/nyrstar-indium-metal", a="RefinedMetal", label="Nyrstar indium metal (Auby)",
           containsElement="Indium")
    f.quads.append(ox.Quad(ox.NamedNode(OT + "Indium"), ox.NamedNode(A), ox.NamedNode(OT + "ChemicalElement"), f.onto))
    f.quads.append(ox.Quad(ox.NamedNode(OT + "Indium"), ox.NamedNode(RDFS + "label"), ox.Literal("indium", language="en"), f.onto))
    for sid, title in (("catapa-indium-report", "Indium: a rare metal from Bolivia for European industry"),
                       ("usgs-2020", "USGS, 2020"), ("eurostat-2020", "Eurostat, 2020"), ("mmm-2019", "MMM, 2019"),
                       ("zapata-2018", "Zapata, 2018"), ("ishihara-2011", "Ishihara et al. 2011")):
        f.quads.append(ox.Quad(f.iri(f"source/{sid}"), ox.NamedNode(RDFS + "label"), ox.Literal(title, language="en"), f.prov))
        f.quads.append(ox.Quad(f.iri(f"source/{sid}"), ox.NamedNode(A), ox.NamedNode(OT + "Source"), f.prov))

    # ---- indium 2018: France and Belgium
    g = f.statement("catapa-indium/france-indium-production-2018", cites=["usgs-2020"],
                    where="section 'Production of end products for the ICT industry', paragraph 8")
    f.figure(g, "fr-indium-production-2018", "ProductionObservation", "TotalProduction", "country/FR", 40,
             material="Indium", year=2018, label="France · indium · total production · 2018")
    g = f.statement("catapa-indium/france-indium-export-2018", cites=["eurostat-2020"], where="figure 11a")
    f.node(g, "flow/fr-indium-exports-2018", a="Export", material="material/unwrought-indium-and-powder",
           origin="country/FR", destination=["country/US", "country/JP", "country/KR"], year=2018,
           partOfFlow="flow/eu-indium-exports-2018", label="French exports of unwrought indium and indium powder, 2018")
    f.figure(g, "fr-indium-exports-2018-quantity", "FlowQuantityObservation", "ExportQuantity",
             "flow/fr-indium-exports-2018", 30, material="material/unwrought-indium-and-powder", year=2018)
    g = f.statement("catapa-indium/france-indium-export-from-auby", confidence="Implied")
    f.node(g, "flow/fr-indium-exports-2018", origin="site/nyrstar-auby")
    g = f.statement("catapa-indium/france-indium-local-consumption-2018", confidence="Implied",
                    where="section 'Production of end products for the ICT industry', paragraph 8")
    f.node(g, "flow/fr-indium-domestic-use-2018", a="Flow", material="Indium", origin="country/FR",
           destination="country/FR", year=2018, label="French indium used inside France, 2018 (assumed)")
    f.figure(g, "fr-indium-domestic-use-2018-quantity", "FlowQuantityObservation", "DomesticUse",
             "flow/fr-indium-domestic-use-2018", 10, material="Indium", year=2018, estimated=True)
    g = f.statement("catapa-indium/belgium-indium-production-2018", confidence="Estimated", cites=["usgs-2020"],
                    where="section 'Production of end products for the ICT industry', paragraph 6")
    f.figure(g, "be-indium-production-2018", "ProductionObservation", "TotalProduction", "country/BE", 22,
             material="Indium", year=2018, estimated=True, label="Belgium · indium · total production · 2018")
    g = f.statement("catapa-indium/belgium-indium-export-2018", cites=["eurostat-2020"], where="figure 11b")
    f.node(g, "flow/be-indium-exports-2018", a="Export", material="material/unwrought-indium-and-powder",
           origin="country/BE", destination=["country/US", "country/JP", "country/KR"], year=2018,
           partOfFlow="flow/eu-indium-exports-2018", label="Belgian exports of unwrought indium and indium powder, 2018")
    f.figure(g, "be-indium-exports-2018-quantity", "FlowQuantityObservation", "ExportQuantity",
             "flow/be-indium-exports-2018", 16, material="material/unwrought-indium-and-powder", year=2018)
    g = f.statement("catapa-indium/belgium-indium-export-from-hoboken", confidence="Implied")
    f.node(g, "flow/be-indium-exports-2018", origin="site/umicore-hoboken")
    g = f.statement("catapa-indium/eu-indium-exports-2018", cites=["eurostat-2020"])
    f.node(g, "flow/eu-indium-exports-2018", a="Export", material="material/unwrought-indium-and-powder",
           origin="place/european-union", year=2018)
    g = f.statement("catapa-indium/germany-indium-exports-china", cites=["eurostat-2020"])
    f.node(g, "flow/de-cn-indium-exports-2018", a="Export", material="material/unwrought-indium-and-powder",
           origin="country/DE", destination="country/CN", year=2018)
    g = f.statement("catapa-indium/auby-indium-production", cites=["usgs-2020"])
    f.figure(g, "auby-indium-metal-production", "ProductionObservation", "TotalProduction", "site/nyrstar-auby", 50,
             unit="TONNE-PER-YR", material="material/nyrstar-indium-metal", approximate=True,
             undatedReason="NoPeriodInSource")

    # ---- zinc concentrate, Bolivia to Belgium, 1980-1985 (Figure 2)
    total = {1980: "46236.373", 1981: "44468.528", 1982: "44542.576", 1983: "41351.909", 1984: "36868.26", 1985: "33941.412"}
    state = {1980: "25276.661"}
    export = {1980: "7526.671", 1981: "6361.809", 1982: "5424.852", 1983: "7004.124", 1984: "13797.441", 1985: "10681.095"}
    for y in range(1980, 1986):
        g = f.statement(f"catapa-indium/fig2-total-{y}", cites=["mmm-2019"])
        f.figure(g, f"bo-zinc-concentrate-production-total-{y}", "ProductionObservation", "TotalProduction",
                 "country/BO", total[y], material="material/bolivian-zinc-concentrate", year=y)
        g = f.statement(f"catapa-indium/fig2-export-{y}", cites=["mmm-2019"])
        f.node(g, f"flow/bo-be-zinc-concentrate-export-{y}", a="Export", material="material/bolivian-zinc-concentrate",
               origin="country/BO", destination="country/BE", year=y, partOfFlow="flow/bo-be-zinc-concentrate-export",
               label=f"Bolivian zinc concentrate exports to Belgium, {y}")
        f.figure(g, f"bo-be-zinc-concentrate-export-{y}-quantity", "FlowQuantityObservation", "ExportQuantity",
                 f"flow/bo-be-zinc-concentrate-export-{y}", export[y], material="material/bolivian-zinc-concentrate", year=y)
        g = f.statement(f"catapa-indium/fig2-import-{y}")
        f.node(g, f"flow/be-zinc-concentrate-import-from-bo-{y}", a="Import",
               material="material/bolivian-zinc-concentrate", origin="country/BO", destination="country/BE", year=y,
               label=f"Belgian imports from Bolivia as recorded in Figure 2, {y}")
        f.figure(g, f"be-zinc-concentrate-import-from-bo-{y}-quantity", "FlowQuantityObservation", "ImportQuantity",
                 f"flow/be-zinc-concentrate-import-from-bo-{y}", 0, material="material/bolivian-zinc-concentrate", year=y)
    g = f.statement("catapa-indium/fig2-state-1980", cites=["mmm-2019"])
    f.figure(g, "bo-zinc-concentrate-production-state-1980", "ProductionObservation", "StateMiningProduction",
             "country/BO", state[1980], material="material/bolivian-zinc-concentrate", year=1980)
    g = f.statement("catapa-indium/bolivia-zinc-export-belgium", cites=["mmm-2019"])
    f.node(g, "flow/bo-be-zinc-concentrate-export", a="Export", material="material/bolivian-zinc-concentrate",
           origin="country/BO", destination="country/BE", commodityCode="260800")
    for code, dest in (("jp", "JP"), ("kr", "KR"), ("cn", "CN"), ("es", "ES")):
        g = f.statement(f"catapa-indium/bolivia-zinc-export-{code}", cites=["mmm-2019"])
        f.node(g, f"flow/bo-{code}-zinc-concentrate-export", a="Export", material="material/bolivian-zinc-concentrate",
               origin="country/BO", destination=f"country/{dest}", commodityCode="260800")
    g = f.statement("catapa-indium/bolivia-zinc-exports-royalty-not-declared", confidence="Implied", cites=["mmm-2019"])
    for code in ("be", "jp", "kr", "cn", "es"):
        f.node(g, f"flow/bo-{code}-zinc-concentrate-export", royaltyStatus="RoyaltyNotDeclared",
               royaltyLaw="law/bolivia-law-535-2014")
    g = f.statement("catapa-indium/bolivia-official-indium-export-zero", cites=["mmm-2019"])
    f.node(g, "flow/bolivia-indium-export-official-record", a="Export", material="Indium", origin="country/BO")
    f.figure(g, "bolivia-indium-export-official-record-quantity", "FlowQuantityObservation", "ExportQuantity",
             "flow/bolivia-indium-export-official-record", 0, material="Indium", undatedReason="NoPeriodInSource")

    # ---- element content and royalty
    g = f.statement("catapa-indium/bolivar-indium-content", cites=["ishihara-2011"],
                    where="section 'The extraction of zinc ore in Bolivia', paragraph 1, footnote 2")
    f.figure(g, "bolivar-mine-indium-content", "ContentObservation", "ElementConcentration", "site/bolivar-mine", 584,
             unit="PPM", material="material/polymetallic-ag-pb-zn-ore", element="Indium", approximate=True,
             undatedReason="NoPeriodInSource")
    g = f.statement("catapa-indium/bolivian-zinc-ore-arrivals-antwerp", cites=["eurostat-2013-2019"])
    f.node(g, "flow/bo-zinc-ore-arrivals-antwerp-2013-2019", a="Import", material="material/bolivian-zinc-concentrate",
           origin="country/BO", destination="site/port-of-antwerp", periodStart=2013, periodEnd=2019)
    f.figure(g, "bo-zinc-ore-arrivals-antwerp-2013-2019-quantity", "FlowQuantityObservation", "ImportQuantity",
             "flow/bo-zinc-ore-arrivals-antwerp-2013-2019", 150000, unit="TONNE-PER-YR",
             material="material/bolivian-zinc-concentrate", periodStart=2013, periodEnd=2019)
    g = f.statement("entity/law/bolivia-law-535-2014", where="section 'opening text (no heading)', paragraph 6")
    f.node(g, "law/bolivia-law-535-2014", a="Law", label="Bolivian mining law 535 of 2014", year=2014,
           jurisdiction="country/BO", setsRoyalty="royalty/bolivia-indium-ore-export-royalty")
    g = f.statement("entity/royalty/bolivia-indium-ore-export-royalty", where="section 'opening text (no heading)', paragraph 6")
    f.node(g, "royalty/bolivia-indium-ore-export-royalty", a="Royalty", label="Bolivian royalty on indium ore exports",
           setBy="law/bolivia-law-535-2014", appliesToMaterial="material/indium-ore", jurisdiction="country/BO")
    f.figure(g, "bolivia-indium-ore-export-royalty-rate", "QuantityObservation", "RoyaltyRate",
             "royalty/bolivia-indium-ore-export-royalty", 5, unit="PERCENT", element="Indium",
             undatedReason="NoPeriodInSource")
    g = f.statement("catapa-indium/zapata-missed-income-2011", confidence="Estimated", cites=["zapata-2018"],
                    where="section 'International commodity traders', paragraph 5, footnote 5")
    f.node(g, "flow/bolivia-indium-content-exports-2011", a="Export", material="material/bolivian-zinc-concentrate",
           origin="country/BO", year=2011, royaltyStatus="RoyaltyNotDeclared",
           label="indium contained in Bolivian concentrate exports, 2011")
    f.figure(g, "bo-indium-value-missed-2011", "ValueObservation", "UnpaidValue",
             "flow/bolivia-indium-content-exports-2011", 18150000, unit="CCY_EUR", element="Indium", year=2011,
             estimated=True)
    g = f.statement("catapa-indium/zapata-royalties-not-collected-2011", confidence="Estimated", cites=["zapata-2018"],
                    where="section 'International commodity traders', paragraph 5, footnote 5")
    f.figure(g, "bo-indium-royalty-not-collected-2011", "ValueObservation", "RoyaltyNotCollected",
             "flow/bolivia-indium-content-exports-2011", None, unit="CCY_EUR", element="Indium", year=2011,
             maxValue="6050000", estimated=True)
    return f.quads


def fixture_store(base: str = "https://w3id.org/oretrace") -> ox.Store:
    st = ox.Store()
    st.bulk_extend(fixture_quads(base))
    return st


def test_fixture_is_in_the_figure_pattern():
    st = fixture_store()
    # every number is on an observation with a measure; no flow carries one
    rows = list(st.query(f"SELECT ?x WHERE {{ ?x <{QUDT}numericValue> ?v FILTER NOT EXISTS {{ ?x <{OT}measures> ?m }} }}",
                         use_default_graph_as_union=True))
    assert rows == []
    n = len(list(st.query(f"SELECT ?x WHERE {{ GRAPH ?g {{ ?x <{OT}measures> ?m }} }}")))
    assert n > 20


def fixture_build(root, base: str = "https://w3id.org/oretrace", extra=()) -> "Path":
    """A build folder whose current release holds the fixture store (for the command and the app)."""
    import json
    import os
    from pathlib import Path

    build = Path(root)
    rel = build / "releases" / "fixture"
    (rel / "store").mkdir(parents=True)
    st = ox.Store(str(rel / "store"))
    st.bulk_extend(list(fixture_quads(base)) + list(extra))
    st.flush()
    del st
    (rel / "manifest.json").write_text(json.dumps({"version": "fixture", "counts": {}}))
    os.symlink(os.path.relpath(rel, build), build / "current")
    return build
