"""The W3C SPARQL 1.1 Protocol tests (../shared/external/w3c-sparql11-tests/.../protocol/manifest.ttl)
against the `oretrace serve` stack (Oxigraph behind the gateway), loaded with the tests' own data.

Query-side tests must pass as written. The endpoint is read-only, so in the update tests every
update request must be refused with a 4xx status and leave the data as it was (the tests' later
ASK requests, which check the effect of the update, do not apply).
Run `pytest tests/test_w3c_protocol.py -q -rA` for the pass count.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from oretrace import serve
from oretrace.vocab import IRIs

from conftest import SHARED, shared_path

pytestmark = [pytest.mark.w3c, pytest.mark.server]

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
RDF_ = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_ = "http://www.w3.org/2000/01/rdf-schema#"
PROTOCOL = ("w3c-sparql11-tests", "sparql", "sparql11", "protocol")
MANIFEST_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl"


def _manifest():
    """[(name, [request dicts], graph data {graph IRI: file})] in manifest order."""
    path = SHARED.joinpath("external", *PROTOCOL, "manifest.ttl")
    if not path.is_file():
        return []
    g = ox.Store()
    g.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=MANIFEST_BASE))

    def one(s, p):
        for q in g.quads_for_pattern(s, ox.NamedNode(p), None):
            return q.object
        return None

    def many(s, p):
        return [q.object for q in g.quads_for_pattern(s, ox.NamedNode(p), None)]

    def items(lst):
        out = []
        while lst is not None and lst != ox.NamedNode(RDF_ + "nil"):
            out.append(one(lst, RDF_ + "first"))
            lst = one(lst, RDF_ + "rest")
        return out

    manifest = next(q.subject for q in g.quads_for_pattern(None, ox.NamedNode(MF + "entries"), None))
    tests = []
    for t in items(one(manifest, MF + "entries")):
        name = t.value.rsplit("#", 1)[-1]
        reqs = []
        for r in items(one(one(t, MF + "action"), HT + "requests")):
            headers = {}
            for h in items(one(r, HT + "headers")):
                headers[one(h, HT + "fieldName").value] = one(h, HT + "fieldValue").value
            body = one(r, HT + "body")
            resp = one(r, HT + "resp")
            reqs.append({
                "method": one(r, HT + "methodName").value,
                "path": one(r, HT + "absolutePath").value,
                "headers": headers,
                "body": one(body, CNT + "chars").value if body is not None else None,
                "status": {s.value.rsplit("#", 1)[-1] for s in many(resp, MF + "expectedStatus")},
                "format": (one(resp, MF + "expectedFormat") or ox.Literal("")).value,
                "boolean": (lambda b: None if b is None else b.value == "true")(one(resp, MF + "expectedBoolean")),
            })
        data = {one(d, RDFS_ + "label").value: one(d, UT + "graph").value.rsplit("/", 1)[-1]
                for d in many(t, UT + "graphData")}
        tests.append((name, reqs, data))
    return tests


TESTS = _manifest()
QUERY_TESTS = [t for t in TESTS if "update" not in t[0]]
UPDATE_TESTS = [t for t in TESTS if "update" in t[0]]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """The serve stack on a store holding the protocol tests' data graphs."""
    folder = shared_path("external", *PROTOCOL)
    loc = tmp_path_factory.mktemp("w3c-protocol") / "store"
    st = ox.Store(str(loc))
    graphs = {}
    for _, _, data in TESTS:
        graphs.update(data)
    for graph, file in sorted(graphs.items()):
        for t in ox.parse(path=str(Path(folder) / file), format=ox.RdfFormat.N_TRIPLES):
            st.add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)))
    st.flush()
    del st
    with serve.Server(loc, IRIs("https://w3id.org/oretrace"), limits=serve.Limits(timeout_s=5)) as srv:
        yield srv


def send(srv, req) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        body = req["body"].encode("utf-8") if req["body"] is not None else None
        conn.request(req["method"], req["path"], body=body, headers=req["headers"])
        r = conn.getresponse()
        return r.status, (r.getheader("Content-Type") or "").split(";")[0].strip(), r.read()
    finally:
        conn.close()


def status_ok(status: int, expected: set[str]) -> bool:
    return any(e == f"StatusCode{status // 100}xx" or e == f"StatusCode{status}" for e in expected)


def check(status, ctype, body, req) -> None:
    assert status_ok(status, req["status"]), f"{req['method']} {req['path'][:80]}: {status} {body[:200]!r}"
    if status >= 300:
        return
    results = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
               "application/sparql-results+xml": ox.QueryResultsFormat.XML,
               "text/csv": ox.QueryResultsFormat.CSV, "text/tab-separated-values": ox.QueryResultsFormat.TSV}
    if req["format"] in ("boolean", "tabular"):
        assert ctype in results, ctype
        res = ox.parse_query_results(body, format=results[ctype])
        if req["format"] == "boolean":
            assert isinstance(res, ox.QueryBoolean)
            if req["boolean"] is not None:
                assert bool(res) is req["boolean"]
        else:
            assert isinstance(res, ox.QuerySolutions)
    elif req["format"] == "RDF":
        fmt = ox.RdfFormat.from_media_type(ctype)
        assert fmt is not None, ctype
        list(ox.parse(body, format=fmt))


def test_manifest_is_complete():
    shared_path("external", *PROTOCOL, "manifest.ttl")
    assert len(TESTS) == 34 and len(QUERY_TESTS) == 20 and len(UPDATE_TESTS) == 14


@pytest.mark.parametrize("name,reqs,data", QUERY_TESTS, ids=[t[0] for t in QUERY_TESTS])
def test_query_side(endpoint, name, reqs, data):
    for req in reqs:
        check(*send(endpoint, req), req)


def _fingerprint(srv) -> str:
    status, _, body = send(srv, {"method": "GET", "path": "/sparql?query=SELECT%20%3Fg%20%3Fs%20%3Fp%20%3Fo%20WHERE%20%7B%20"
                                 "GRAPH%20%3Fg%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D%20ORDER%20BY%20%3Fg%20%3Fs%20%3Fp%20%3Fo",
                                 "headers": {"Accept": "application/sparql-results+json"}, "body": None})
    assert status == 200
    return json.dumps(json.loads(body), sort_keys=True)


@pytest.mark.parametrize("name,reqs,data", UPDATE_TESTS, ids=[t[0] for t in UPDATE_TESTS])
def test_update_side_is_refused(endpoint, name, reqs, data):
    before = _fingerprint(endpoint)
    updates = [r for r in reqs if not r["format"]]  # the later requests are ASK checks of the update's effect
    assert updates, "an update test without an update request"
    for req in updates:
        status, _, body = send(endpoint, req)
        assert 400 <= status < 500, f"{name}: update answered {status} {body[:200]!r}"
    assert _fingerprint(endpoint) == before
