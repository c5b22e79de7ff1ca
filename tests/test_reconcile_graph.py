"""From the graph to reconciled balances, element content and royalty ranges, and mirror statistics,
on a store in the figure pattern holding the CATAPA report's own figures (test_reconcile_fixture),
run through the real catalogue queries on pyoxigraph; the `oretrace reconcile` command on a build of
it; the build stage's quads."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest

from oretrace.config import Settings
from oretrace.reconcile import assumptions as AS
from oretrace.reconcile import run as R
from oretrace.reconcile.uncertainty import rounding_unit, weigh
from oretrace.vocab import OT, PROV, QUDT, IRIs

from conftest import ROOT
from test_reconcile_fixture import fixture_build, fixture_quads

BASE = "https://w3id.org/oretrace"
IRI = IRIs(BASE)
R3 = 2 * math.sqrt(3)


def store(extra=()):
    st = ox.Store()
    st.bulk_extend(list(fixture_quads(BASE)) + list(extra))
    return st


def report(extra=(), overrides=None, **kw):
    data = R.store_reader(store(extra), Settings(root=ROOT))
    return R.reconcile(data, AS.load(None, overrides), **kw)


def term(net, key):
    return next(t for t in net.terms if t.key == key)


def u_stated(v, rel, unit_digit):
    """The default rule, written out: relative part and rounding in quadrature."""
    return math.sqrt((rel * v) ** 2 + (unit_digit / R3) ** 2)


# ------------------------------------------------------------------ France and Belgium, 2018
def test_france_and_belgium_2018_reconciled_by_hand():
    rep = report(year=2018, parts=("balance",))
    (net,) = rep.networks
    assert net.target == OT + "Indium" and [n.rsplit("/", 1)[-1] for n in net.nodes] == ["BE", "FR"]
    # Belgium: production 22 t (estimated: 15 %), exports 16 t (stated: 5 %), rounding to 1 t each
    up, ux = u_stated(22, 0.15, 1), u_stated(16, 0.05, 1)
    w = 1 / up ** 2 + 1 / ux ** 2
    be = (22 / up ** 2 + 16 / ux ** 2) / w
    for key in ("be-production", "be-export-to-jp-kr-us"):
        t = term(net, key)
        assert t.status == "reconciled"
        assert t.value == pytest.approx(be) and t.se == pytest.approx(1 / math.sqrt(w))
    part = next(c for c in net.result.components if BASE + "/id/country/BE" in c.balances)
    assert part.dof == 1 and part.chi2 == pytest.approx(36 / (up ** 2 + ux ** 2))
    assert part.p_value == pytest.approx(0.0793, abs=5e-4)      # not significant at 5 %
    # France: 40 = 30 + 10 exactly; the values stay, their standard errors shrink
    sp, sx, sd = u_stated(40, 0.05, 10), u_stated(30, 0.05, 10), u_stated(10, 0.25, 10)
    s = sp ** 2 + sx ** 2 + sd ** 2
    for key, v, u in (("fr-production", 40, sp), ("fr-export-to-jp-kr-us", 30, sx), ("fr-domestic-use", 10, sd)):
        t = term(net, key)
        assert t.value == pytest.approx(v) and t.se == pytest.approx(math.sqrt(u ** 2 - u ** 4 / s))
    # the statements behind each term
    assert [u.figure.statement_id for u in term(net, "be-production").uses] == ["catapa-indium/belgium-indium-production-2018"]
    assert term(net, "fr-domestic-use").uses[0].figure.confidence == OT + "Implied"
    # not significant: no finding, but the least consistent figure is the one the balance moves most
    assert net.findings == []
    uses = sorted(net.uses(), key=lambda u: (-(u.z or 0), -abs(u.adjustment or 0) / u.sd))
    assert uses[0].figure.statement_id == "catapa-indium/belgium-indium-production-2018"
    assert uses[0].adjustment == pytest.approx(be - 22)


def test_belgium_inconsistent_when_the_estimate_is_trusted_more():
    rep = report(year=2018, parts=("balance",), overrides=["uncertainty.estimated=10", "uncertainty.estimated_flag=10"])
    (net,) = rep.networks
    (finding,) = net.findings
    assert finding.severity == "inconsistent" and "(BE)" in finding.message and "p = 0.01" in finding.message
    assert finding.uses[0].figure.statement_id == "catapa-indium/belgium-indium-production-2018"
    assert {u.figure.statement_id for u in finding.uses} == {"catapa-indium/belgium-indium-production-2018",
                                                            "catapa-indium/belgium-indium-export-2018"}


def test_undated_and_site_figures_are_set_aside_with_a_reason():
    (net,) = report(year=2018, parts=("balance",)).networks
    why = {f.statement_id: r for f, r in net.not_used}
    assert "no period" in why["catapa-indium/auby-indium-production"]
    assert "no period" in why["catapa-indium/bolivia-official-indium-export-zero"]


def test_stated_uncertainty_overrides_the_default():
    fr = ox.NamedNode(BASE + "/id/observation/fr-indium-production-2018")
    g = ox.NamedNode(BASE + "/id/statement/catapa-indium/france-indium-production-2018")
    dec = lambda v: ox.Literal(v, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    (net,) = report([ox.Quad(fr, ox.NamedNode(OT + "standardUncertainty"), dec("1.5"), g)], year=2018).networks
    u = term(net, "fr-production").uses[0]
    assert u.sd == pytest.approx(1.5) and "standard uncertainty 1.5" in u.basis
    (net,) = report([ox.Quad(fr, ox.NamedNode(OT + "relativeUncertainty"), dec("20"), g)], year=2018).networks
    assert term(net, "fr-production").uses[0].sd == pytest.approx(8.0)


def test_open_closure_gives_each_country_a_determinable_unaccounted_term():
    (net,) = report(year=2018, parts=("balance",), overrides=["balance.closure=open"]).networks
    be = term(net, "be-unaccounted")
    up, ux = u_stated(22, 0.15, 1), u_stated(16, 0.05, 1)
    assert be.status == "determined" and be.value == pytest.approx(6) and be.se == pytest.approx(math.hypot(up, ux))
    assert term(net, "be-production").status == "as measured"
    assert net.result.dof == 0


# ------------------------------------------------------------------ Bolivia to Belgium, 1980
def test_exporter_and_importer_declarations_contradict_and_other_exports_are_not_determinable():
    (net,) = report(year=1980, parts=("balance",)).networks
    assert net.target == BASE + "/id/material/bolivian-zinc-concentrate"
    be = term(net, "bo-export-to-be")
    assert sorted(u.figure.statement_id for u in be.uses) == ["catapa-indium/fig2-export-1980", "catapa-indium/fig2-import-1980"]
    assert all(u.flagged for u in be.uses)
    named = {u.figure.statement_id for f in net.findings for u in f.uses}
    assert named == {"catapa-indium/fig2-export-1980", "catapa-indium/fig2-import-1980"}
    # the exports to Japan, South Korea, China and Spain, named without a period or tonnage: unknowns
    # in parallel, so none is determinable; production is not redundant
    for c in ("cn", "es", "jp", "kr"):
        assert term(net, f"bo-export-to-{c}").status == "not determinable"
    assert term(net, "bo-production").status == "as measured"
    why = {f.statement_id: r for f, r in net.not_used}
    assert "a part or a stage of production" in why["catapa-indium/fig2-state-1980"]


def test_the_undated_whole_stands_aside_for_its_dated_part():
    (net,) = report(year=1981, parts=("balance",)).networks
    flows = {f for t in net.terms for f in t.flows}
    assert BASE + "/id/flow/bo-be-zinc-concentrate-export-1981" in flows
    assert BASE + "/id/flow/bo-be-zinc-concentrate-export" not in flows


# ------------------------------------------------------------------ element content and royalty
def test_zapata_2011_royalty_is_not_reproducible_from_its_inputs():
    (e,) = report(year=2011, parts=("content",)).estimates
    assert e.flow == BASE + "/id/flow/bolivia-indium-content-exports-2011"
    u = math.sqrt((0.15 * 18150000) ** 2 + (10000 / R3) ** 2)
    assert e.value == pytest.approx((18150000 - 2 * u, 18150000 + 2 * u))
    assert e.due == pytest.approx((0.05 * (18150000 - 2 * u), 0.05 * (18150000 + 2 * u)))
    assert e.declared == (0.0, 0.0)
    assert any("tonnage" in m for m in e.missing)
    kinds = dict(e.findings)
    assert "royalty gap" in kinds
    msg = kinds["not reproducible"]
    assert "33.33 %" in msg and "121,000,000 EUR" in msg and "made in 2014" in msg
    names = {i.name: i for i in e.inputs}
    assert names["royalty rate"].low == names["royalty rate"].high == pytest.approx(0.05)
    assert names["royalty rate"].figure.statement_id == "entity/royalty/bolivia-indium-ore-export-royalty"
    assert names["royalty not collected (stated)"].high == 6050000


def test_content_of_the_1980_exports_is_a_range_with_every_input_named():
    rep = report(year=1980, parts=("content",))
    e = next(x for x in rep.estimates if x.flow.endswith("bo-be-zinc-concentrate-export-1980"))
    ut = math.sqrt((0.05 * 7526.671) ** 2 + (0.001 / R3) ** 2)
    uc = math.sqrt((0.05 * 584) ** 2 + (0.10 * 584) ** 2 + (1 / R3) ** 2)
    assert e.contained[0] == pytest.approx((7526.671 - 2 * ut) * (584 - 2 * uc) * 1e-6)
    assert e.contained[1] == math.inf            # the concentration factor has no upper bound
    names = {i.name: i for i in e.inputs}
    assert names["concentration (in the material it is made from)"].figure.statement_id == "catapa-indium/bolivar-indium-content"
    assert names["concentration factor"].assumption == "content.concentration_factors"
    assert any("price" in m for m in e.missing) and e.due is None
    assert "after the start" in (e.law_note or "")


def test_concentration_factor_assumption_from_a_file(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("content:\n  concentration_factors:\n    - ore: material/polymetallic-ag-pb-zn-ore\n"
                 "      concentrate: material/bolivian-zinc-concentrate\n      min: 2\n      max: 3\n")
    data = R.store_reader(store(), Settings(root=ROOT))
    rep = R.reconcile(data, AS.load(f), year=1980, parts=("content",))
    e = next(x for x in rep.estimates if x.flow.endswith("bo-be-zinc-concentrate-export-1980"))
    base = next(x for x in report(year=1980, parts=("content",)).estimates if x.flow == e.flow)
    assert e.contained[0] == pytest.approx(2 * base.contained[0]) and math.isfinite(e.contained[1])
    assert rep.assumptions.source == str(f)


# ------------------------------------------------------------------ mirror statistics
def test_mirror_bolivia_belgium_1980_1985():
    pairs = report(parts=("mirror",)).pairs
    assert [p.period[0] for p in pairs] == [1980, 1981, 1982, 1983, 1984, 1985]
    assert all(p.differs and p.import_value == 0 for p in pairs)
    p = pairs[0]
    assert p.gap == pytest.approx(-7526.671) and p.ratio == 0
    assert p.exported.statement_id == "catapa-indium/fig2-export-1980"
    assert p.imported.statement_id == "catapa-indium/fig2-import-1980"


def _money_pair(exported: str, imported: str):
    """Two declarations of a trade in money (a test-only pair, not from any source)."""
    from test_reconcile_fixture import Fixture
    f = Fixture(BASE)
    g = f.statement("test/export-value")
    f.node(g, "flow/test-export", a="Export", material="material/bolivian-zinc-concentrate", origin="country/BO",
           destination="country/ES", year=1999)
    f.figure(g, "test-export-value", "ValueObservation", "MonetaryValue", "flow/test-export", exported, unit="CCY_USD", year=1999)
    g = f.statement("test/import-value")
    f.node(g, "flow/test-import", a="Import", material="material/bolivian-zinc-concentrate", origin="country/BO",
           destination="country/ES", year=1999)
    f.figure(g, "test-import-value", "ValueObservation", "MonetaryValue", "flow/test-import", imported, unit="CCY_USD", year=1999)
    return f.quads


def test_mirror_money_with_the_cif_fob_allowance():
    (p,) = [p for p in report(_money_pair("100", "106"), parts=("mirror",)).pairs if p.kind == "money"]
    assert p.expected_factor == pytest.approx(1.06) and p.ratio == pytest.approx(1.0) and not p.differs
    (p,) = [p for p in report(_money_pair("100", "150"), parts=("mirror",)).pairs if p.kind == "money"]
    assert p.differs and p.ratio == pytest.approx(150 / 106) and p.gap == pytest.approx(44)
    (p,) = [p for p in report(_money_pair("100", "150"), parts=("mirror",), overrides=["mirror.tolerance=50"]).pairs
            if p.kind == "money"]
    assert not p.differs


# ------------------------------------------------------------------ uncertainty and assumptions
@pytest.mark.parametrize("lexical, unit", [("7526.671", 0.001), ("40", 10), ("22", 1), ("0", 1), ("150000", 10000),
                                           ("40.0", 0.1), ("18150000", 10000), (None, None)])
def test_rounding_unit(lexical, unit):
    assert rounding_unit(lexical) == (pytest.approx(unit) if unit else None)


def test_ranges_are_uniform_and_up_to_starts_at_zero():
    a = AS.load()
    w = weigh(value=None, lexical=None, low=80, high=90, confidence=None, approximate=False, estimated=False,
              standard_uncertainty=None, relative_uncertainty=None, assumptions=a)
    assert (w.value, w.sd) == (85, pytest.approx(10 / R3))
    w = weigh(value=None, lexical=None, low=None, high=6050000, confidence=None, approximate=False, estimated=False,
              standard_uncertainty=None, relative_uncertainty=None, assumptions=a)
    assert (w.value, w.sd) == (3025000, pytest.approx(6050000 / R3))
    w = weigh(value=None, lexical=None, low=5, high=None, confidence=None, approximate=False, estimated=False,
              standard_uncertainty=None, relative_uncertainty=None, assumptions=a)
    assert not w.usable


@pytest.mark.parametrize("text, message", [
    ("uncertainty:\n  stated: 5\n  colour: red\n", ":3: unknown key 'uncertainty.colour'"),
    ("significance: high\n", ":1: significance must be a number"),
    ("balance:\n  closure: ajar\n", ":2: balance.closure: 'ajar' must be closed or open"),
    ("uncertainty: [1, 2\n", "not valid YAML"),
    ("- 1\n", "is a mapping"),
])
def test_bad_assumptions_file_names_file_line_and_key(tmp_path, text, message):
    f = tmp_path / "a.yaml"
    f.write_text(text)
    with pytest.raises(AS.AssumptionError) as e:
        AS.load(f)
    assert str(f) in str(e.value) and message in str(e.value)


def test_set_overrides_and_records_them():
    a = AS.load(None, ["uncertainty.stated=3", "balance.open=[country/BE]"])
    assert a.get("uncertainty.stated") == 3 and a.get("balance.open") == ["country/BE"]
    assert "--set uncertainty.stated=3" in a.source and a.digest != AS.load().digest
    with pytest.raises(AS.AssumptionError, match="unknown key 'uncertainty.stata'"):
        AS.load(None, ["uncertainty.stata=3"])
    with pytest.raises(AS.AssumptionError, match="write key=value"):
        AS.load(None, ["uncertainty.stated"])


# ------------------------------------------------------------------ RDF and the build stage
def test_quads_are_in_the_reconciled_graph_derived_from_their_inputs_and_repeatable():
    st = store()
    q1 = R.reconcile_quads(st, IRI, Settings(root=ROOT))
    q2 = R.reconcile_quads(st, IRI, Settings(root=ROOT))
    assert q1 == q2 and q1
    assert {q.graph_name.value for q in q1} == {BASE + "/graph/reconciled"}
    out = ox.Store()
    out.bulk_extend(q1)
    rows = list(out.query(f"""SELECT ?v ?se ?input ?act WHERE {{ GRAPH ?g {{
        ?o a <{OT}ReconciledObservation> ; <{OT}subject> <{BASE}/id/country/BE> ; <{OT}measures> <{OT}TotalProduction> ;
           <{OT}year> 2018 ; <{QUDT}numericValue> ?v ; <{OT}standardUncertainty> ?se ; <{PROV}wasDerivedFrom> ?input ;
           <{PROV}wasGeneratedBy> ?act .
        ?act a <{PROV}Activity> ; <{PROV}used> ?input ; <http://purl.org/dc/terms/description> ?m }} }}"""))
    assert len(rows) == 1
    assert rows[0]["input"].value == BASE + "/id/observation/be-indium-production-2018"
    assert float(rows[0]["v"].value) == pytest.approx(16.37, abs=0.01)
    # findings point at the statements; the input graphs are not touched
    rows = list(out.query(f"SELECT ?st WHERE {{ ?f a <{OT}ReconciliationFinding> ; <{OT}concernsStatement> ?st }}",
                          use_default_graph_as_union=True))
    assert BASE + "/id/statement/catapa-indium/fig2-export-1980" in {r["st"].value for r in rows}
    before = set(st)
    R.reconcile_quads(st, IRI, Settings(root=ROOT))
    assert set(st) == before


# ------------------------------------------------------------------ the command
def _cli(build, *args):
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), ORETRACE_BUILD=str(build), ORETRACE_ROOT=str(ROOT))
    return subprocess.run([sys.executable, "-m", "oretrace", "reconcile", *args], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=300)


def test_command_on_a_build(tmp_path):
    build = fixture_build(tmp_path / "build")
    r = _cli(build, "--year", "2018", "--element", "Indium")
    assert r.returncode == 0, r.stderr
    assert "Balance of indium, 2018" in r.stdout and "Belgium · production: reconciled, 16.37 ± 0.82 t" in r.stdout
    r = _cli(build, "--year", "1980", "-f", "json", "-o", str(tmp_path / "out" / "reconciled.nq"))
    assert r.returncode == 1, r.stderr          # findings
    js = json.loads(r.stdout)
    assert js["findings"] >= 3 and js["mirror"][0]["differs"]
    quads = list(ox.parse(path=str(tmp_path / "out" / "reconciled.nq"), format=ox.RdfFormat.N_QUADS))
    assert quads and all(q.graph_name.value == BASE + "/graph/reconciled" for q in quads)


def test_command_refuses_bad_input(tmp_path):
    build = fixture_build(tmp_path / "build")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mirror:\n  tolerance: 200\n")
    r = _cli(build, "--assumptions", str(bad))
    assert r.returncode == 2 and f"{bad}:2: mirror.tolerance" in r.stderr and "Traceback" not in r.stderr
    r = _cli(build, "--only", "balance,weather")
    assert r.returncode == 2 and "weather" in r.stderr
    r = _cli(tmp_path / "nothing-built")
    assert r.returncode == 2 and "no build" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "nothing-built" / "current").exists()


@pytest.mark.parametrize("stated, side, share", [("6050000", "more", "33.33 %"), ("100000", "less", "0.551 %")])
def test_stated_royalty_as_a_point_value_is_checked_both_ways(stated, side, share):
    # a test-only flow: a stated value of the contained indium and a stated royalty not collected
    from test_reconcile_fixture import Fixture
    f = Fixture(BASE)
    g = f.statement("test/value", confidence="Estimated")
    f.node(g, "flow/test-content-export", a="Export", material="material/bolivian-zinc-concentrate",
           origin="country/BO", year=2015, royaltyStatus="RoyaltyNotDeclared")
    f.figure(g, "test-value", "ValueObservation", "UnpaidValue", "flow/test-content-export", "18150000",
             unit="CCY_EUR", element="Indium", year=2015)
    f.figure(g, "test-not-collected", "ValueObservation", "RoyaltyNotCollected", "flow/test-content-export", stated,
             unit="CCY_EUR", element="Indium", year=2015)
    (e,) = [x for x in report(f.quads, year=2015, parts=("content",)).estimates if x.flow.endswith("test-content-export")]
    msg = dict(e.findings)["not reproducible"]
    assert f"is {side} than the royalty its inputs give" in msg and share in msg
    assert e.law_note is None      # law 535 (2014) was in force in 2015


# ------------------------------------------------------------------ on the curated graph
def test_curated_graph_france_and_belgium_2018(store, built):
    """The build of data/ gives the same reconciled 2018 indium balance as the fixture of its figures."""
    data = R.store_reader(store, built)
    rep = R.reconcile(data, AS.load(), OT + "Indium", 2018)
    (net,) = rep.networks
    ids = {u.figure.statement_id for u in net.uses()}
    assert {"catapa-indium/france-indium-production-2018", "catapa-indium/france-indium-export-2018",
            "catapa-indium/belgium-indium-production-2018", "catapa-indium/belgium-indium-export-2018"} <= ids
    up, ux = u_stated(22, 0.15, 1), u_stated(16, 0.05, 1)
    w = 1 / up ** 2 + 1 / ux ** 2
    assert term(net, "be-production").value == pytest.approx((22 / up ** 2 + 16 / ux ** 2) / w)
    assert term(net, "be-production").se == pytest.approx(1 / math.sqrt(w))
    assert term(net, "fr-production").value == pytest.approx(40)
    fr_use = [t for t in net.terms if t.kind == "domestic use" and t.node.endswith("/FR")]
    assert len(fr_use) == 1 and fr_use[0].value == pytest.approx(10)
    part = next(c for c in net.result.components if built.base + "/id/country/BE" in c.balances)
    assert part.p_value == pytest.approx(0.0793, abs=5e-4)


def test_curated_graph_royalty_and_mirror(store, built):
    data = R.store_reader(store, built)
    rep = R.reconcile(data, AS.load(), parts=("content", "mirror"))
    z = next(e for e in rep.estimates if e.flow.endswith("bolivia-indium-content-exports-2011"))
    assert z.due == pytest.approx((0.05 * (18150000 - 2 * math.sqrt((0.15 * 18150000) ** 2 + (10000 / R3) ** 2)),
                                   0.05 * (18150000 + 2 * math.sqrt((0.15 * 18150000) ** 2 + (10000 / R3) ** 2))))
    assert "33.33 %" in dict(z.findings)["not reproducible"]
    years = sorted(p.period[0] for p in rep.pairs if p.differs and p.origin.endswith("/BO") and p.destination.endswith("/BE"))
    assert years == [1980, 1981, 1982, 1983, 1984, 1985]


def test_inconsistencies_appear_in_the_findings_of_a_reconciled_build(tmp_path, outcome):
    """With the reconcile stage on, the statements whose numbers do not add up are findings the
    catalogue lists (queries/reconciliation-findings.rq), each with its document; the reconciled
    graph follows the figure pattern, so the shapes find nothing more than in the curated build."""
    from catalogue import run
    from oretrace.build import build
    from oretrace.config import Settings
    from oretrace.store import open_store
    from oretrace.vocab import IRIs

    s = Settings(root=ROOT, build=tmp_path / "build")
    build(s, quiet=True, reconcile=True)
    manifest = json.loads((s.build / "current" / "manifest.json").read_text())
    assert manifest["graphs"]["reconciled"] == s.base + "/graph/reconciled"
    st = open_store(s)
    from oretrace import validate
    found = sorted((f.rule, f.label) for f in validate.run(s, st, IRIs(s.base)).findings)
    assert found == sorted((f.rule, f.label) for f in outcome.findings)
    rows = run(st, IRIs(s.base), "reconciliation-findings")
    by_kind: dict[str, set[str]] = {}
    for r in rows:
        assert r["document"] and r["message"], r
        by_kind.setdefault(r["kind"], set()).add(r["statement"].removeprefix("statement/"))
    both = {"catapa-indium/fig2-export-1980", "catapa-indium/fig2-import-1980"}
    assert both <= by_kind["inconsistent"] and both <= by_kind["declarations differ"]
    assert "catapa-indium/zapata-royalties-not-collected-2011" in by_kind["not reproducible"]
    assert "catapa-indium/zapata-missed-income-2011" in by_kind["royalty gap"]


def test_every_term_of_the_reconciled_graph_is_declared_and_current():
    """What reconcile writes speaks the ontology (ontology/reconciliation.ttl and the rest): no
    undeclared ot: term, none deprecated, and the measures and statuses in their code lists."""
    from oretrace.ontology import load as load_ontology

    onto = load_ontology(ROOT / "ontology")
    declared = (onto.classes | onto.object_properties | onto.datatype_properties | onto.annotation_properties
                | set(onto.individuals))
    deprecated = set(onto.deprecated)
    used = set()
    for q in R.reconcile_quads(store(), IRI, Settings(root=ROOT)):
        for t in (q.predicate, q.object):
            if isinstance(t, ox.NamedNode) and t.value.startswith(OT):
                used.add(t.value)
    assert used, "the fixture gives reconciled quads"
    assert not used - declared, sorted(used - declared)
    assert not used & deprecated, sorted(used & deprecated)


def test_mirror_statistics_from_a_reporter_partner_trade_file(project_copy, tmp_path):
    """A trade file of reporter/partner declarations (one flow column) gives the exporter's and the
    importer's figures side by side, each with its row; reconciliation compares them."""
    f = tmp_path / "mirror.csv"
    f.write_text("year,reporter,partner,flow,commodity_code,quantity_t,value_usd\n"
                 "2019,BOL,BEL,export,260800,1000,500000\n2019,BEL,BOL,import,260800,600,400000\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), ORETRACE_BUILD=str(tmp_path / "build"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project_copy), *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=600)
    out = run("import", "trade", str(f), "-q")
    assert out.returncode == 0, out.stderr
    out = run("reconcile", "--only", "mirror", "-f", "json")
    pairs = [p for p in json.loads(out.stdout)["mirror"] if p["period"][0] == 2019]
    assert len(pairs) == 2  # quantity and value
    q = next(p for p in pairs if p["unit"] == "t")
    assert (q["export"]["value"], q["import"]["value"], q["ratio"]) == (1000, 600, 0.6) and q["differs"]
    assert (q["export"]["statement_id"], q["import"]["statement_id"]) == ("import/trade-mirror/r2", "import/trade-mirror/r3")
    money = next(p for p in pairs if p["unit"] != "t")
    assert money["expected_ratio"] == pytest.approx(1.06) and not money["differs"]  # within the CIF/FOB allowance
