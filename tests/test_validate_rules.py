"""Each due-diligence rule (R1-R6) on fixtures: the exact focus nodes and messages, on both engines."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from oretrace import shacl
from oretrace.validate import load_shapes

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "validation"
EX = "http://example.org/fixture/"
OTSH = "https://w3id.org/oretrace/shapes#"


def fixture_store(name: str) -> ox.Store:
    st = ox.Store()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        st.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:x-test:ontology"))
    st.load(path=str(FIX / name), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:x-test:data"))
    return st


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


def findings(store, shapes, engine):
    out = defaultdict(set)
    for r in shacl.validate(store, shapes, engine=engine).results:
        out[r.shape.value.removeprefix(OTSH)].add((r.focus.value.removeprefix(EX), r.messages[0].value))
    return out


EXPECTED_DD = {
    "R1-royalty-declared": {"bad-r1-missing", "bad-r1-not-declared"},
    "R2-feed": {"bad-r2"},
    "R3-due-diligence": {"bad-r3"},
    "R3-smelter": {"bad-r3"},
    "R4": {"bad-r4"},
    "R5-country": {"bad-r5"},
    "R5-operator": {"bad-r5"},
    "R6": {"bad-r6"},
}


@pytest.mark.parametrize("engine", shacl.ENGINES)
def test_due_diligence_rules_find_exactly_the_violating_fixtures(shapes, engine):
    got = findings(fixture_store("due-diligence.ttl"), shapes, engine)
    shapes_graph = shacl.Graph(shapes)
    for shape, focus in EXPECTED_DD.items():
        message = shapes_graph.value(ox.NamedNode(OTSH + shape), shacl.sh("message")).value
        assert got[shape] == {(f, message) for f in focus}, shape
    # no conforming fixture is reported by any rule
    reported = {f for v in got.values() for f, _ in v}
    assert not {f for f in reported if f.startswith("ok-")}
