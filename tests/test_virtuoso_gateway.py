"""The gateway in front of Virtuoso: `oretrace serve --upstream URL` with the build bulk-loaded into the session's
Virtuoso serves the same linked-data pages, graph pages and VoID as the gateway on the embedded Oxigraph store,
answers SPARQL through the same protocol, and refuses updates before they reach Virtuoso."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from browser import stop, wait_for
from oretrace import serve
from oretrace.app_launcher import free_port

PAGES = ["/id/site/nyrstar-auby", "/id/actor/nyrstar", "/id/region/BO-O", "/id/flow/bo-be-zinc-concentrate-export",
         "/id/statement/catapa-indium/bolivia-zinc-export-belgium", "/graph/validation", "/graph/provenance",
         "/id/dataset/oretrace", "/ontology"]
FORMATS = ["text/html", "text/turtle", "application/ld+json", "application/n-triples"]
RDFLIB_FORMAT = {"application/ld+json": "json-ld", "application/n-triples": "nt"}


def same_page(a, b, accept: str) -> bool:
    """Byte for byte, except that JSON-LD and N-Triples may name blank nodes differently (Virtuoso's nodeID
    labels are not the embedded store's): those are compared as graphs, up to blank-node renaming."""
    if a == b or accept not in RDFLIB_FORMAT or a[:2] != b[:2]:
        return a == b
    from rdflib import Dataset
    from rdflib.compare import isomorphic
    ga, gb = (Dataset().parse(data=x[2].decode(), format=RDFLIB_FORMAT[accept]) for x in (a, b))
    names = {g.identifier for g in ga.graphs() if len(g)}
    return (bool(names) and names == {g.identifier for g in gb.graphs() if len(g)}
            and all(isomorphic(ga.graph(n), gb.graph(n)) for n in names))


def get(url: str, accept: str | None = None, data: bytes | None = None, ctype: str | None = None):
    req = urllib.request.Request(url, data=data)
    if accept:
        req.add_header("Accept", accept)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


@pytest.fixture(scope="module")
def gateways(built, virtuoso_published):
    """(over Oxigraph, over Virtuoso): root URLs of the gateway on the embedded store and of the real command
    `oretrace serve --upstream` in front of the session's Virtuoso."""
    port = free_port()
    env = {**os.environ, "ORETRACE_BUILD": str(built.build_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "oretrace", "--root", str(built.root), "serve", "--port", str(port),
                             "--upstream", virtuoso_published.sparql], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    front = f"http://127.0.0.1:{port}"
    try:
        wait_for(front + "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), proc, "oretrace serve --upstream")
        with serve.for_settings(built) as local:
            yield local.url, front
    finally:
        stop(proc)


@pytest.mark.parametrize("path", PAGES)
def test_linked_data_pages_are_the_same_over_virtuoso(gateways, path):
    local, remote = gateways
    for accept in FORMATS:
        a, b = get(local + path, accept), get(remote + path, accept)
        assert a[0] == 200, (path, accept, a[2][:300])
        assert same_page(a, b, accept), (path, accept, b[2][:600])


def test_missing_entities_are_404_over_virtuoso(gateways):
    local, remote = gateways
    a, b = get(local + "/id/site/no-such-site", "text/html"), get(remote + "/id/site/no-such-site", "text/html")
    assert a[0] == b[0] == 404 and a == b


def rows(url: str, text: str) -> list[list[str]]:
    status, _, body = get(url + "/sparql", "text/csv", urllib.parse.urlencode({"query": text}).encode(),
                          "application/x-www-form-urlencoded")
    assert status == 200, body[:500]
    return sorted(csv.reader(io.StringIO(body.decode())))


def test_sparql_through_the_gateway_over_virtuoso(gateways):
    local, remote = gateways
    text = ("PREFIX ot: <https://w3id.org/oretrace/ontology#> SELECT ?f ?label WHERE { ?f a ot:Flow ; "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    got = rows(remote, text)
    assert got == rows(local, text) and len(got) > 20
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DROP ALL"):
        for body, ctype in ((urllib.parse.urlencode({"update": update}).encode(), "application/x-www-form-urlencoded"),
                            (update.encode(), "application/sparql-update"),
                            (urllib.parse.urlencode({"query": update}).encode(), "application/x-www-form-urlencoded")):
            status, _, answer = get(remote + "/sparql", None, body, ctype)
            assert status == 403 and b"read" in answer, (update, ctype, status, answer[:300])
    assert rows(remote, text) == got  # nothing changed upstream
    status, _, answer = get(remote + "/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}), "text/csv")
    assert status == 403, answer[:300]
