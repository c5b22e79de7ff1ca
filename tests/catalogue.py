"""The catalogue's queries as the tests run them: rows as plain values (IRIs shortened)."""

from __future__ import annotations

import pyoxigraph as ox

from oretrace import query
from oretrace.vocab import OT

from conftest import ROOT

CAT = query.catalogue(ROOT / "queries")
SH = "http://www.w3.org/ns/shacl#"


def run(store, iris, name, **params):
    """Rows of a catalogue query as dicts of plain values (IRIs shortened to kind/slug or ot:Local)."""
    res = query.run_store(store, query.bind(CAT[name], params, iris))
    return [{c: short(v, iris) for c, v in zip(res.columns, row)} for row in res.rows]


def short(v, iris):
    if v is None:
        return None
    if isinstance(v, ox.NamedNode):
        if v.value.startswith(iris.base + "/id/"):
            return v.value[len(iris.base) + 4:]
        if v.value.startswith(OT):
            return "ot:" + v.value[len(OT):]
        return v.value
    return v.value


def has_validation(store, iris) -> bool:
    return bool(query.run_store(store, f"ASK {{ GRAPH <{iris.validation_graph}> {{ ?r a <{SH}ValidationResult> }} }}").boolean)
