"""Tracing a metal hop by hop (issue 14): from a touchscreen back to the Oruro cooperatives, from Oruro
on to the products, with a statement for every hop."""

from __future__ import annotations

import pytest

from oretrace import query, trace
from oretrace.vocab import IRIs

from conftest import ROOT


@pytest.fixture(scope="module")
def select(built, store):
    iris = IRIs(built.base)
    cat = query.catalogue(ROOT / "queries")

    def run(name, node):
        res = query.run_store(store, query.bind(cat[name], {"node": node}, iris))
        return [{c: (v.value if v is not None else None) for c, v in zip(res.columns, row)} for row in res.rows]
    run.iris = iris
    return run


def test_a_touchscreen_traces_back_to_the_oruro_cooperatives(select):
    iris = select.iris
    t = trace.walk(select, iris.ref("material/touchscreen"), "upstream")
    coops = iris.ref("actor/oruro-mining-cooperatives")
    path = t.path_to(coops)
    assert path, [h.node for h in t.hops]
    names = [iris.split(h.node)[1] for h in path]
    # through the links the issue found dead ends at: metallic indium and indium cement
    assert "nyrstar-indium-metal" in names and "indium-cement" in names and "bolivian-zinc-concentrate" in names
    assert path[-1].end and path[-1].link.endswith("performedBy")
    assert all(h.statement and h.document and h.where for h in path)  # a citation per hop
    assert [h.depth for h in path] == list(range(1, len(path) + 1))


def test_oruro_traces_on_to_the_touchscreen(select):
    iris = select.iris
    t = trace.walk(select, iris.ref("region/BO-O"), "downstream")
    assert t.reaches(iris.ref("material/touchscreen"))
    assert t.reaches(iris.ref("site/nyrstar-auby")) or t.reaches(iris.ref("process/auby-zinc-smelting"))
    assert not t.stopped


def test_a_walk_stops_at_its_node_limit(select):
    t = trace.walk(select, select.iris.ref("region/BO-O"), "downstream", max_nodes=3)
    assert t.stopped and len(t.hops) == 2  # the start and two more nodes
