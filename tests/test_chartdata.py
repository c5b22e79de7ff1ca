"""The supply-chain pictures' data (oretrace.chartdata): stage columns read from classes and roles,
one width scale per material and unit, assumed splits, products, map points; on made-up rows and on
the curated graph."""

from __future__ import annotations

import pytest

from oretrace import appdata, chartdata as cd
from oretrace.vocab import OT

T = {  # classes as queries/app-types.rq gives them (stated and inferred)
    "mine": [OT + "Mine", OT + "Site"], "trader": [OT + "LocalTrader", OT + "Actor"],
    "border": [OT + "BorderPost", OT + "Site"], "portA": [OT + "Port", OT + "Site"], "portB": [OT + "Port", OT + "Site"],
    "terminal": [OT + "PortTerminal", OT + "Site"], "smelter": [OT + "Smelter", OT + "MetallurgicalPlant", OT + "Site"],
    "fumer": [OT + "Fumer", OT + "MetallurgicalPlant", OT + "Site"],
    "XX": [OT + "Country", OT + "Place"], "YY": [OT + "Country", OT + "Place"], "ZZ": [OT + "Country", OT + "Place"],
    "region": [OT + "Region", OT + "Place"],
    "ore": [OT + "Concentrate", OT + "Material"], "metal": [OT + "RefinedMetal", OT + "Material"],
    "gadget": [OT + "EndProduct", OT + "Material"],
}


def flow(iri, origin=(), destination=(), via=(), tonnes=None, materials=("ore",), parents=(), smelter=(), buyer=(),
         seller=(), value=None, unit=None):
    return {"iri": iri, "origin": list(origin), "via": list(via), "destination": list(destination), "seller": list(seller),
            "buyer": list(buyer), "receivingSmelter": list(smelter), "tonnes": tonnes, "value": value, "unit": unit,
            "parents": list(parents), "materials": list(materials), "year": 2019, "start": None, "end": None}


def test_stages_follow_classes_and_roles_not_link_depth():
    """A port reached from another port is an import port; a country where ore arrives sits after the
    ports; the smelter after that, whatever the number of hops on each path."""
    flows = [flow("f1", ["region"], ["portA"], via=["border"]), flow("f2", ["portA"], ["portB"]),
             flow("f3", ["terminal"], ["smelter"]), flow("f4", ["XX"], ["YY"], smelter=["smelter"]),
             flow("f5", ["region"], seller=["mine"], buyer=["trader"], destination=[])]
    links, skipped = cd.flow_bands(flows, T, within={("terminal", "portB")})
    stage = cd.stages(links, T, within={("terminal", "portB")})
    assert not skipped
    assert stage["region|raw"] == stage["XX|raw"] == cd.ORIGIN
    assert stage["border"] == cd.BORDER and stage["portA"] == cd.EXPORT
    assert stage["portB"] == stage["terminal"] == stage["YY|raw"] == cd.IMPORT
    assert stage["smelter"] == cd.SMELTER
    assert all(stage[lk["source"]] < stage[lk["target"]] for lk in links)  # every band runs left to right


def test_a_place_is_one_node_per_kind_of_material():
    """Ore arriving in a country and refined metal going to it are two nodes in two columns."""
    flows = [flow("ore", ["XX"], ["YY"], smelter=["smelter"]),
             flow("metal", ["smelter", "ZZ"], ["YY"], tonnes=30.0, materials=["metal"])]
    links, _ = cd.flow_bands(flows, T, within={("smelter", "ZZ")})
    stage = cd.stages(links, T)
    assert stage["YY|raw"] == cd.IMPORT and stage["YY|processed"] == cd.CONSUMER
    assert "ZZ|processed" not in stage  # the site's own country says nothing more than the site
    assert [(lk["source"], lk["target"]) for lk in links if lk["flow"]["iri"] == "metal"] == [("smelter", "YY|processed")]


def test_no_candidate_left_goes_half_a_column_on():
    flows = [flow("f", ["smelter"], ["fumer"], materials=["metal"])]
    links, _ = cd.flow_bands(flows, T)
    stage = cd.stages(links, T)
    assert stage["smelter"] == cd.SMELTER and stage["fumer"] == cd.SMELTER + 0.5
    assert cd.stage_title(stage["fumer"]) == "smelter or refiner, next step"


def test_each_material_and_unit_has_its_own_scale():
    """Thousands of tonnes of concentrate and tens of tonnes of metal: each one's widest band is full
    width; a figure in tonnes per year is a scale of its own; a stated zero is a hairline."""
    flows = [flow("conc", ["XX"], ["portA"], tonnes=150000.0), flow("conc2", ["XX"], ["portB"], tonnes=50000.0),
             flow("metal", ["smelter"], ["YY"], tonnes=30.0, materials=["metal"]),
             flow("rate", ["XX"], ["ZZ"], value=1000.0, unit="unit:TONNE-PER-YR"), flow("none", ["XX"], ["portA"], tonnes=0.0)]
    links, _ = cd.flow_bands(flows, T)
    top = cd.widths(links)
    assert top == {(("ore",), "t"): 150000.0, (("metal",), "t"): 30.0, (("ore",), "unit:TONNE-PER-YR"): 1000.0}
    px = {lk["flow"]["iri"]: cd.band_px(lk, top) for lk in links}
    assert px["conc"] == px["metal"] == px["rate"] == cd.MAX_PX
    assert px["conc2"] == pytest.approx(cd.MAX_PX / 3)
    assert px["none"] == cd.ZERO_PX


def test_several_ends_are_an_assumed_split():
    links, _ = cd.flow_bands([flow("f", ["XX"], ["YY", "ZZ"], tonnes=40.0)], T)
    assert [(lk["target"], lk["amount"], lk["split"]) for lk in links] == [("YY|raw", 20.0, True), ("ZZ|raw", 20.0, True)]
    one, _ = cd.flow_bands([flow("g", ["XX"], ["YY"], tonnes=40.0)], T)
    assert not one[0]["split"]


def test_parts_replace_their_whole_and_unstated_ends_are_named():
    flows = [flow("whole", ["XX"], ["YY"]), flow("part", ["XX"], ["YY"], parents=["whole"]), flow("export", ["region"]),
             flow("arrival", [], ["YY"])]
    links, skipped = cd.flow_bands(flows, T)
    assert [s["iri"] for s in skipped] == ["whole"]
    ends = {(lk["flow"]["iri"], lk["source"], lk["target"]) for lk in links}
    assert ("export", "region|raw", cd.UNSTATED) in ends and ("arrival", cd.UNSTATED_ORIGIN, "YY|raw") in ends
    stage = cd.stages(links, T)
    assert stage[cd.UNSTATED] == cd.CONSUMER and stage[cd.UNSTATED_ORIGIN] == cd.ORIGIN


def test_products_are_the_last_outputs_that_carry_the_element():
    rows = [{"site": "smelter", "process": "refine", "product": "metal", "next": "make", "place": "smelter", "element": "In"},
            {"site": "smelter", "process": "make", "product": "gadget", "next": None, "place": "YY", "element": "In"},
            {"site": "smelter", "process": "zinc", "product": "zincmetal", "next": None, "place": "smelter", "element": "Zn"}]
    links = cd.product_links(rows, {"smelter"}, T, set(), element="In")
    assert [(lk["source"], lk["target"], lk["process"]) for lk in links] == [
        ("smelter", "gadget", "make"), ("gadget", "YY|processed", "make")]
    stage = cd.stages(links, T)
    assert stage["gadget"] == cd.PRODUCT and stage["YY|processed"] == cd.CONSUMER
    assert {lk["target"] for lk in cd.product_links(rows, {"smelter"}, T, set())} >= {"gadget", "zincmetal"}


def test_map_points_only_from_coordinates_the_graph_holds():
    places = {"mine": {"lat": 1.0, "lon": 2.0}, "smelter": {"country": "FR"}, "XX": {"code": "XX"}}
    pts = cd.map_points(["mine", "smelter", "XX|raw", "gadget", cd.UNSTATED, "border"], places,
                        {"mine": "Mine", "smelter": "Smelter"}, T)
    assert pts == [{"iri": "mine", "lat": 1.0, "lon": 2.0, "label": "Mine", "approx": False},
                   {"iri": "smelter", "alpha2": "FR", "label": "Smelter", "approx": True}]


# ------------------------------------------------------------------ on the curated graph
@pytest.fixture(scope="module")
def g(built):
    return appdata.connect(built)


def _chain(g, element, year):
    flows = [f for f in g.flows(element=OT + element)
             if f["first"] is None or (year is not None and f["last"] >= year and f["first"] <= year)]
    return cd.chain(g, flows, element=OT + element)


def test_the_indium_chain_runs_from_oruro_to_products(g):
    data = _chain(g, "Indium", 2019)
    stage, types = data["stage"], data["types"]
    ref = g.iris.ref
    by_iri = {}
    for k, s in stage.items():
        by_iri.setdefault(cd.iri_of(k), []).append(s)
    oruro, arica, antwerp, auby = (ref(x) for x in ("region/BO-O", "site/port-of-arica", "site/port-of-antwerp",
                                                     "site/nyrstar-auby"))
    assert max(by_iri[oruro]) < min(by_iri[arica]) < min(by_iri[antwerp]) < min(by_iri[auby])
    products = [k for k, s in stage.items() if s == cd.PRODUCT]
    assert products and all(OT + "Material" in types[k] for k in products)
    assert ref("material/touchscreen") in products
    assert min(by_iri[auby]) < cd.PRODUCT
    # every band of a flow or a product step runs left to right
    assert all(stage[lk["source"]] < stage[lk["target"]] for lk in data["links"])


def test_tin_has_its_own_chain(g):
    """The DRC's 3T export has an origin and no destination: it is drawn to 'destination not stated'."""
    data = _chain(g, "Tin", None)
    starts = {cd.iri_of(lk["source"]) for lk in data["links"]}
    assert g.iris.ref("place/eastern-drc") in starts
    assert all(lk["target"] == cd.UNSTATED for lk in data["links"])
    assert not any(OT + "Indium" in str(lk["flow"]["materials"]) for lk in data["links"])
