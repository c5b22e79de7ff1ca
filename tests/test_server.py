"""`oretrace serve` against the real built graph: a real Oxigraph process behind the gateway, queried
with real clients (SPARQLWrapper, rdflib's SPARQLStore, plain HTTP)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest

from oretrace import query, serve
from oretrace.vocab import DCTERMS, OT, PROV, RDFS, IRIs

from conftest import ROOT

pytestmark = pytest.mark.server

VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def server(built):
    with serve.for_settings(built, limits=serve.Limits(timeout_s=2, max_rows=5000)) as srv:
        yield srv


@pytest.fixture(scope="module")
def iris(built):
    return IRIs(built.base)


def http(url, accept=None, data=None, ctype=None, method=None, headers=None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, method=method)
    if accept:
        req.add_header("Accept", accept)
    if ctype:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def q_url(srv, text, **params):
    return srv.sparql + "?" + urllib.parse.urlencode({"query": text, **params}, doseq=True)


def _one(store, text):
    rows = query.run_store(store, query.with_prefixes(text)).rows
    assert rows, text
    return rows[0]


def triples(items) -> set:
    """Triples from parsed triples or default-graph quads."""
    return {ox.Triple(t.subject, t.predicate, t.object) for t in items}


def _entity_with_statement(store, iris, kind):
    """An entity of the given kind that a curated statement describes, and its label."""
    e, label = _one(store, f"""SELECT ?e ?label WHERE {{ GRAPH ?g {{ ?e rdfs:label ?label }}
        GRAPH <{iris.provenance_graph}> {{ ?g prov:wasDerivedFrom ?doc }}
        FILTER(STRSTARTS(STR(?e), "{iris.base}/id/{kind}/")) }} ORDER BY ?e LIMIT 1""")
    return e.value, label.value


# ------------------------------------------------------------------ SPARQL with real clients
def test_sparqlwrapper_gets_what_the_embedded_store_has(server, store):
    text = query.with_prefixes("SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE { VALUES ?kind { ot:Site ot:Actor ot:Flow } "
                               "?x a ?kind } GROUP BY ?kind ORDER BY ?kind")
    remote = query.run_endpoint(server.sparql, text)
    local = query.run_store(store, text)
    assert remote.columns == local.columns
    assert [[c.value for c in r] for r in remote.rows] == [[c.value for c in r] for r in local.rows]
    assert all(int(r[1].value) > 0 for r in remote.rows)


def test_sparqlwrapper_construct(server, store, iris):
    e, _ = _entity_with_statement(store, iris, "site")
    text = f"CONSTRUCT {{ <{e}> ?p ?o }} WHERE {{ <{e}> ?p ?o }}"
    remote = query.run_endpoint(server.sparql, text)
    local = query.run_store(store, text)
    assert triples(remote.triples) == triples(local.triples) and remote.triples


def test_rdflib_sparqlstore(server, store, iris):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    e, label = _entity_with_statement(store, iris, "actor")
    g = Graph(SPARQLStore(query_endpoint=server.sparql, returnFormat="json"))
    labels = {str(o) for o in g.objects(URIRef(e), URIRef(RDFS + "label"))}
    assert label in labels
    rows = list(g.query(f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}"))
    local = query.run_store(store, f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}").rows
    assert len(rows) == len(local)


def test_default_graph_is_union_and_named_graphs_are_addressable(server, store, iris):
    e, label = _entity_with_statement(store, iris, "site")
    (g,) = _one(store, f'SELECT ?g WHERE {{ GRAPH ?g {{ <{e}> <{RDFS}label> ?l }} }} LIMIT 1')
    ask = f'ASK {{ <{e}> <{RDFS}label> {json.dumps(label)}@en }}'
    assert query.run_endpoint(server.sparql, ask).boolean is True
    in_graph = f'ASK {{ GRAPH <{g.value}> {{ <{e}> <{RDFS}label> ?l }} }}'
    assert query.run_endpoint(server.sparql, in_graph).boolean is True
    other = f'ASK {{ GRAPH <{iris.ontology_graph}> {{ <{e}> <{RDFS}label> ?l }} }}'
    assert query.run_endpoint(server.sparql, other).boolean is False
    # protocol-level dataset: the statement graph alone as the default graph
    status, _, body = http(q_url(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}", **{"default-graph-uri": g.value}),
                           accept="application/sparql-results+json")
    assert status == 200
    n = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    (local_n,) = _one(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}")
    assert n == int(local_n.value)


@pytest.mark.parametrize("accept,fmt", [
    ("text/csv", None), ("text/tab-separated-values", None),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML), ("application/sparql-results+json", ox.QueryResultsFormat.JSON)])
def test_select_result_formats(server, accept, fmt):
    status, h, body = http(q_url(server, "SELECT ?g WHERE { GRAPH ?g { } } ORDER BY ?g LIMIT 3"), accept=accept)
    assert status == 200 and h["Content-Type"].startswith(accept)
    if fmt is not None:
        rows = list(ox.parse_query_results(body, format=fmt))
        assert len(rows) == 3
    else:
        assert len(body.decode().strip().splitlines()) == 4


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"])
def test_construct_result_formats(server, store, accept):
    text = f"CONSTRUCT {{ ?s <{RDFS}label> ?l }} WHERE {{ ?s a <{OT}Mine> ; <{RDFS}label> ?l }}"
    status, h, body = http(q_url(server, text), accept=accept)
    assert status == 200 and h["Content-Type"].split(";")[0] == accept
    got = triples(ox.parse(body, format=ox.RdfFormat.from_media_type(accept)))
    assert got == triples(query.run_store(store, text).triples) and got


# ------------------------------------------------------------------ abuse and faults
def test_updates_are_refused(server, store):
    before = query.run_endpoint(server.sparql, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value
    attempts = [
        dict(data=b"INSERT DATA { <urn:x> <urn:y> <urn:z> }", ctype="application/sparql-update"),
        dict(data=b"update=" + urllib.parse.quote_plus("CLEAR ALL").encode(), ctype="application/x-www-form-urlencoded"),
        dict(data=b"update=" + urllib.parse.quote_plus("LOAD <http://example.org/data.ttl>").encode(),
             ctype="application/x-www-form-urlencoded"),
    ]
    for a in attempts:
        status, _, body = http(server.sparql, **a)
        assert status == 403 and b"read-only" in body
    status, _, body = http(q_url(server, "LOAD <http://example.org/data.ttl>"))
    assert status == 403 and b"read-only" in body
    status, _, body = http(server.url + "/store?default", data=b"<urn:a> <urn:b> <urn:c> .", ctype="application/n-triples",
                           method="PUT")
    assert status == 403
    after = query.run_endpoint(server.sparql, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value
    assert before == after


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "PREFIX x: <urn:x#>\nSELECT * WHERE { ?a ?b ?c . service   <https://dbpedia.org/sparql> { ?s ?p ?o } } LIMIT 1",
    "SELECT * WHERE { SERVICE SILENT ?endpoint { ?s ?p ?o } VALUES ?endpoint { <http://10.0.0.1/sparql> } }",
])
def test_service_calls_are_refused(server, text):
    status, _, body = http(q_url(server, text))
    assert status == 403 and b"SERVICE" in body


def test_the_word_service_elsewhere_is_not_refused(server):
    text = ('SELECT ?service WHERE { BIND("SERVICE <http://example.org/>" AS ?service) '
            '# SERVICE <http://example.org/> in a comment\n }')
    status, _, body = http(q_url(server, text), accept="application/sparql-results+json")
    assert status == 200, body


def test_malformed_query_gets_400_with_parser_message(server):
    status, _, body = http(q_url(server, "SELECT ?x WHERE { ?x ?y }"))
    assert status == 400
    assert re.search(rb"error at \d+:\d+", body), body


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_query_past_time_limit_is_stopped_and_server_stays_up(server):
    status, h, body = http(q_url(server, SLOW))
    assert status == 504 and b"time limit" in body and "Retry-After" not in h
    assert query.run_endpoint(server.sparql, "ASK { ?s ?p ?o }").boolean is True


def test_result_size_cap(server):
    status, _, body = http(q_url(server, "SELECT * WHERE { ?s ?p ?o }"))
    assert status == 413 and b"LIMIT" in body
    status, _, body = http(q_url(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 10"), accept="application/sparql-results+json")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 10


def test_cors(server):
    status, h, _ = http(server.sparql, method="OPTIONS", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 204 and h["Access-Control-Allow-Origin"] == "*" and "POST" in h["Access-Control-Allow-Methods"]
    status, h, _ = http(q_url(server, "ASK {}"), headers={"Origin": "http://example.org"})
    assert status == 200 and h["Access-Control-Allow-Origin"] == "*"


def test_200_concurrent_requests_all_succeed(server, store, iris):
    e, _ = _entity_with_statement(store, iris, "site")
    urls = [(q_url(server, f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}"), "application/sparql-results+json"),
            (q_url(server, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n) LIMIT 5"),
             "text/csv"),
            (server.url + e[len(iris.base):], "text/turtle")]
    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(lambda i: http(*urls[i % len(urls)])[0], range(200)))
    assert results.count(200) == 200, {s: results.count(s) for s in set(results)}


def test_bound_to_loopback_only(server):
    assert server.address[0] == "127.0.0.1"
    assert server.oxigraph.proc.args[server.oxigraph.proc.args.index("--bind") + 1].startswith("127.0.0.1:")


# ------------------------------------------------------------------ linked data
@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/trig", ox.RdfFormat.TRIG)])
def test_entity_iri_dereferences_with_conneg(server, store, iris, accept, fmt):
    e, label = _entity_with_statement(store, iris, "site")
    status, h, body = http(server.url + e[len(iris.base):], accept=accept)
    assert status == 200 and h["Content-Type"].split(";")[0] == accept and "Accept" in h["Vary"]
    quads = list(ox.parse(body, format=fmt))
    E = ox.NamedNode(e)
    assert any(q.subject == E and q.predicate.value == RDFS + "label" and q.object.value == label for q in quads)
    # the statements behind it and their sources come along
    stmts = {q.subject for q in quads if q.predicate.value == OT + "about" and q.object == E}
    local = {r[0] for r in query.run_store(
        store, f"SELECT ?g WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g <{OT}about> <{e}> }} }}").rows}
    assert stmts == local and stmts
    sources = {q.object for q in quads if q.predicate.value == PROV + "wasDerivedFrom" and q.subject in stmts}
    assert sources and all(any(q.subject == s and q.predicate.value == DCTERMS + "title" for q in quads) for s in sources)
    if fmt.supports_datasets:  # each asserted triple stays in its statement graph
        g_of_label = {q.graph_name for q in quads if q.subject == E and q.predicate.value == RDFS + "label"}
        assert g_of_label <= stmts


def test_entity_html_page_for_people(server, store, iris):
    e, label = _entity_with_statement(store, iris, "actor")
    status, h, body = http(server.url + e[len(iris.base):], accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
    assert status == 200 and h["Content-Type"].startswith("text/html")
    page = body.decode()
    import html as html_mod
    assert html_mod.escape(label) in page
    (title,) = _one(store, f"""SELECT ?t WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g <{OT}about> <{e}> ;
        <{PROV}wasDerivedFrom> ?doc . ?doc <{DCTERMS}title> ?t }} }} ORDER BY ?t LIMIT 1""")
    assert html_mod.escape(title.value) in page
    assert 'rel="alternate" type="text/turtle"' in page


def test_format_parameter_and_statement_iri(server, store, iris):
    (g,) = _one(store, f"SELECT ?g WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g a <{OT}Statement> ; <{OT}citesSource> ?c }} }} "
                       "ORDER BY ?g LIMIT 1")
    status, h, body = http(server.url + g.value[len(iris.base):] + "?format=nq")
    assert status == 200 and h["Content-Type"] == "application/n-quads"
    quads = set(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    own = {q for q in quads if q.graph_name == g}
    local = set(query.run_store(store, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}").triples)
    assert triples(own) == triples(local)
    assert any(q.subject == g and q.predicate.value == OT + "citesSource" for q in quads)


def test_unknown_iri_is_404(server, iris):
    status, _, body = http(server.url + "/id/site/no-such-site-anywhere", accept="text/turtle")
    assert status == 404
    status, _, body = http(server.url + "/id/site/no-such-site-anywhere", accept="text/html")
    assert status == 404 and b"never reuses" in body


def test_outlinks_confirmed_by_shipped_references(server, store, iris):
    status, _, body = http(server.url + "/id/country/BO", accept="text/turtle")
    assert status == 200
    objs = {t.object.value for t in ox.parse(body, format=ox.RdfFormat.TURTLE) if t.subject.value == iris.entity("country", "BO")}
    assert "https://www.iso.org/obp/ui/#iso:code:3166:BO" in objs
    assert any(o.startswith("https://sws.geonames.org/") for o in objs)


def test_void_and_dumps(server, built):
    status, h, body = http(server.url + "/.well-known/void", accept="text/turtle")
    assert status == 200
    desc = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    dumps = [t.object.value for t in desc if t.predicate.value == VOID + "dataDump"]
    assert dumps and any(t.predicate.value == VOID + "sparqlEndpoint" for t in desc)
    man = json.loads((built.current / "manifest.json").read_text())
    for d in dumps:
        name = d.rsplit("/", 1)[-1]
        status, h, data = http(server.url + "/dump/" + name)
        assert status == 200 and hashlib.sha256(data).hexdigest() == man["dumps"][name]["sha256"]
    status, h, body = http(server.url + "/id/dataset/oretrace", accept="application/ld+json")
    assert status == 200 and list(ox.parse(body, format=ox.RdfFormat.JSON_LD))


def test_named_graph_document(server, store, iris):
    status, h, body = http(server.url + "/graph/inferred", accept="application/n-triples")
    assert status == 200
    got = triples(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    local = triples(query.run_store(store, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iris.inferred_graph}> {{ ?s ?p ?o }} }}").triples)
    assert got == local and got


# ------------------------------------------------------------------ the command
def test_serve_command_starts_and_stops(built):
    import os

    env = {**os.environ, "ORETRACE_BUILD": str(built.build_dir)}
    p = subprocess.Popen([sys.executable, "-m", "oretrace", "--root", str(built.root), "serve", "--port", "0"],
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stderr.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/sparql)", line)
        assert m, line
        assert query.run_endpoint(m.group(1), "ASK { ?s ?p ?o }").boolean is True
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0


# ------------------------------------------------------------------ the HTTP side: caps and timeouts
def exchange(srv, data: bytes, wait: float = 5.0, then: bytes | None = None) -> tuple[bytes, float, bool]:
    """Send raw bytes; (what came back, seconds until the answer began, whether the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=wait) as s:
        t0 = time.monotonic()
        s.sendall(data)
        got, first, closed = b"", None, False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                first = first or time.monotonic() - t0
                got += chunk
                if then is not None and b"\r\n\r\n" in got:
                    s.sendall(then)
                    then = None
        except ConnectionResetError:  # the server closed with the client's bytes still unread
            closed = True
        except socket.timeout:
            pass
        return got, first if first is not None else wait, closed


def test_a_large_body_gets_413_before_it_is_read(server):
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 200000000\r\n\r\n")
    got, seconds, closed = exchange(server, head)  # not one byte of the 200 MB is sent
    assert got.startswith(b"HTTP/1.1 413") and b"at most" in got and closed and seconds < 3
    got, _, _ = exchange(server, head.replace(b"Content-Length: 200000000\r\n", b"Content-Length: 200000000\r\n"
                                                                                 b"Expect: 100-continue\r\n"))
    assert got.startswith(b"HTTP/1.1 413") and b"100 Continue" not in got


def test_a_large_chunked_body_gets_413(server):
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (1 << 16, b"#" * (1 << 16))
    got, _, closed = exchange(server, head + chunk * 20)  # 1.25 MiB of comment
    assert got.startswith(b"HTTP/1.1 413") and closed


def test_a_small_chunked_query_runs(server):
    q = b"ASK { ?s ?p ?o }"
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(q), q)
    got, _, _ = exchange(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                 b"Accept: application/sparql-results+json\r\nTransfer-Encoding: chunked\r\n"
                                 b"Connection: close\r\n\r\n" + body)
    assert got.startswith(b"HTTP/1.1 200") and b'"boolean":true' in got.replace(b" ", b"")


@pytest.mark.parametrize("bad", [
    b"POST /sparql HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"GET /sparql HTTP/2.0\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
])
def test_malformed_requests_get_4xx_or_5xx_and_no_traceback(server, bad):
    got, _, closed = exchange(server, bad)
    assert re.match(rb"HTTP/1.1 (4\d\d|505)", got) and closed and b"Traceback" not in got, got[:200]


@pytest.fixture()
def tight(built):
    """A server with short timeouts and one worker."""
    with serve.for_settings(built, limits=serve.Limits(timeout_s=2, max_parallel=1, queue_s=0.5, request_s=1.0,
                                                       idle_s=1.0)) as srv:
        yield srv


def test_slow_and_idle_clients_are_cut_off_and_hold_no_thread(tight):
    """Slowloris: 40 clients each dribbling a request line; each is cut off with 408 after request_s, holds no
    thread meanwhile, and other clients are answered at once."""
    threads = threading.active_count()
    socks = []
    for _ in range(40):
        s = socket.create_connection(("127.0.0.1", tight.port), timeout=5)
        s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    idle = socket.create_connection(("127.0.0.1", tight.port), timeout=5)  # connects and says nothing
    t0 = time.monotonic()
    for _ in range(3):
        for s in socks:
            s.sendall(b"X")
        time.sleep(0.2)
    assert threading.active_count() <= threads + 1
    started = time.monotonic()
    assert query.run_endpoint(tight.sparql, "ASK { ?s ?p ?o }").boolean is True
    assert time.monotonic() - started < 1.0
    for s in socks + [idle]:
        got = b""
        while chunk := s.recv(4096):
            got += chunk
        assert got.startswith(b"HTTP/1.1 408"), got[:100]
        s.close()
    assert time.monotonic() - t0 < 4


def test_a_kept_alive_connection_is_closed_when_idle(tight):
    got, _, closed = exchange(tight, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n", wait=5)
    assert got.startswith(b"HTTP/1.1 200") and closed  # closed by the server after idle_s, not by the client's timeout


def test_busy_retry_is_not_ran_too_long(tight):
    """A query past the time limit gets 504 ("ran too long"); a request that finds no free worker gets 503 with
    Retry-After ("busy, retry"): a client can tell whether to retry."""
    slow: dict = {}
    t = threading.Thread(target=lambda: slow.update(zip(("status", "headers", "body"), http(q_url(tight, SLOW)))))
    t.start()
    time.sleep(0.3)
    status, h, body = http(q_url(tight, "ASK { ?s ?p ?o }"))
    assert status == 503 and h["Retry-After"].isdigit() and b"busy, retry" in body
    t.join(30)
    assert slow["status"] == 504 and "Retry-After" not in slow["headers"] and b"time limit" in slow["body"]
    assert http(q_url(tight, "ASK { ?s ?p ?o }"))[0] == 200


# ------------------------------------------------------------------ pages that cannot run script
def test_host_header_is_never_reflected(server, store, iris):
    e, _ = _entity_with_statement(store, iris, "site")
    for path, accept in ((e[len(iris.base):], "text/html"), (e[len(iris.base):], "text/turtle"), ("/", "text/html"),
                         ("/id/site/no-such-site", "text/html"), ("/sparql", "text/html")):
        status, h, body = http(server.url + path, accept=accept, headers={"Host": "evil.example"})
        assert status in (200, 404)
        assert b"evil.example" not in body and "evil.example" not in str(h), path
    status, h, body = http(server.url + e[len(iris.base):], accept="text/html", headers={"Host": "evil.example"})
    assert all(u.startswith(iris.base + "/") for u in re.findall(r"<([^>]+)>", h["Link"]))
    assert f'href="{iris.base}/"'.encode() in body


def test_every_answer_carries_a_restrictive_csp(server, store, iris):
    e, _ = _entity_with_statement(store, iris, "actor")
    for path in (e[len(iris.base):], "/", "/sparql", "/no-such-page"):
        status, h, body = http(server.url + path, accept="text/html")
        csp = h["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert h["X-Content-Type-Options"] == "nosniff"


HOSTILE_IRIS = ["javascript:alert(1)", "JavaScript:alert(2)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==",
                "vbscript:msgbox(4)", "urn:x:plain"]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A store with an entity whose label is markup and whose links use other schemes than http(s)."""
    base = "https://w3id.org/oretrace"
    loc = tmp_path_factory.mktemp("hostile-server") / "store"
    st = ox.Store(str(loc))
    e, g = ox.NamedNode(f"{base}/id/actor/evil"), ox.NamedNode(f"{base}/id/statement/evil")
    st.add(ox.Quad(e, ox.NamedNode(RDFS + "label"), ox.Literal('<script>alert("x")</script><img src=x onerror=alert(5)>'), g))
    for i in HOSTILE_IRIS + ["https://example.org/fine"]:
        st.add(ox.Quad(e, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode(i), g))
    st.add(ox.Quad(ox.NamedNode(HOSTILE_IRIS[0]), ox.NamedNode(OT + "owns"), e, g))
    st.flush()
    del st
    with serve.Server(loc, IRIs(base)) as srv:
        yield srv


def test_only_http_links_on_entity_pages(hostile_server):
    status, h, body = http(hostile_server.url + "/id/actor/evil", accept="text/html")
    page = body.decode()
    assert status == 200 and "<script>" not in page and "<img" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(u.startswith(("https://", "http://")) for u in hrefs), hrefs
    assert 'href="https://example.org/fine"' in page
    for i in HOSTILE_IRIS:  # shown, as text
        assert html_escape(i) in page


def html_escape(s):
    import html

    return html.escape(s)


@pytest.mark.browser
def test_entity_page_in_a_browser_runs_no_script(hostile_server):
    pw = pytest.importorskip("playwright.sync_api")
    from browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page()
        dialogs, console = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: console.append(m.text))
        page.goto(hostile_server.url + "/id/actor/evil")
        assert page.locator("h1").inner_text().startswith("<script>")
        assert page.locator("a[href^='javascript' i], a[href^='data' i], a[href^='vbscript' i]").count() == 0
        assert page.locator("a[href='https://example.org/fine']").count() == 1
        for link in page.locator("span[title]").all():  # the other schemes: text, and clicking does nothing
            link.click()
        # the page's own style passes the CSP (its hash is listed), so the page is styled
        assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1080px"
        assert dialogs == [] and not [c for c in console if "Content Security Policy" in c], console
        b.close()


# ---- the life of an IRI: deprecated IRIs redirect to their replacement, withdrawn ones are gone
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get_unfollowed(url: str, accept: str = "text/html"):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers={"Accept": accept}), timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_a_deprecated_curated_iri_redirects_to_its_replacement(server, iris):
    old, new = iris.ref("flow/fr-indium-domestic-use-2018"), iris.ref("observation/fr-indium-domestic-use-2018")
    path = old[len(iris.base):]
    status, headers, body = _get_unfollowed(server.url + path)
    assert status == 308 and headers["Location"] == new
    assert new in body.decode() and "deprecated" in body.decode()
    status, headers, _ = _get_unfollowed(server.url + path + "?format=ttl", accept="text/turtle")
    assert status == 308 and headers["Location"] == new + "?format=ttl"
    # the replacement itself answers
    status, _, _ = _get_unfollowed(server.url + new[len(iris.base):], accept="text/turtle")
    assert status == 200


def test_a_withdrawn_iri_is_gone_and_a_hostile_replacement_is_no_redirect(tmp_path):
    base = "https://w3id.org/oretrace"
    ird = IRIs(base)
    st = ox.Store(str(tmp_path / "store"))
    g = ox.NamedNode(base + "/id/statement/t/one")
    owl_dep = ox.NamedNode("http://www.w3.org/2002/07/owl#deprecated")
    gone, bad = ox.NamedNode(base + "/id/actor/gone"), ox.NamedNode(base + "/id/actor/bad")
    st.extend([
        ox.Quad(gone, ox.NamedNode(RDFS + "label"), ox.Literal("A mistaken actor", language="en"), g),
        ox.Quad(gone, owl_dep, ox.Literal(True), g),
        ox.Quad(bad, ox.NamedNode(RDFS + "label"), ox.Literal("Bad", language="en"), g),
        ox.Quad(bad, owl_dep, ox.Literal(True), g),
        ox.Quad(bad, ox.NamedNode(DCTERMS + "isReplacedBy"), ox.NamedNode("javascript:alert(1)"), g),
    ])
    st.flush()
    del st
    with serve.Server(tmp_path / "store", ird, limits=serve.Limits(timeout_s=5)) as srv:
        status, headers, body = _get_unfollowed(srv.url + "/id/actor/gone")
        assert status == 410 and "Location" not in headers
        assert "Withdrawn" in body.decode() and "A mistaken actor" in body.decode()
        status, _, body = _get_unfollowed(srv.url + "/id/actor/gone", accept="text/turtle")
        assert status == 410 and b"A mistaken actor" in body  # what the graph said stays readable
        status, headers, _ = _get_unfollowed(srv.url + "/id/actor/bad")
        assert status == 410 and "Location" not in headers  # never a redirect to a non-web IRI


def test_every_released_iri_answers_through_the_server(server, iris):
    """Every IRI of data/released-iris.txt dereferences: 200, or 308 to a live replacement, or 410."""
    refs = [x for x in (ROOT / "data" / "released-iris.txt").read_text().splitlines() if x.strip() and not x.startswith("#")]
    assert len(refs) > 300
    bad = []
    for ref in refs:
        iri = iris.ref(ref)
        status, headers, _ = _get_unfollowed(server.url + iri[len(iris.base):], accept="text/turtle")
        if status == 308:
            status = _get_unfollowed(server.url + headers["Location"][len(iris.base):], accept="text/turtle")[0]
        if status not in (200, 410):
            bad.append((ref, status))
    assert not bad, bad[:10]
