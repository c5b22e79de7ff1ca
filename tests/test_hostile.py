"""The hostile-query table (issue 11): every text below is refused (403) or reported as malformed (400) by
the endpoint (`oretrace serve`), the app's query path (the SPARQL page's `?q=` URL, which runs the
query as soon as it opens) and `oretrace query`, and a listener on 127.0.0.1 proves that none of
them makes any of our processes send a request. Benign texts that carry the same words in strings,
IRIs, prefixed names, variables and comments still run, on all three paths."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from oretrace import appdata, cli, query, serve, sparqltext
from oretrace.vocab import IRIs

from conftest import ROOT

pytestmark = pytest.mark.server

REFUSED, SYNTAX, STORE = "refused", "syntax", "store"  # STORE: passes the policy as a text the store reads as a string
Q = "{ ?s ?p ?o }"
# (id, text with {L} for the listener's URL, what the policy must say)
HOSTILE = [
    ("service", "SELECT * WHERE { SERVICE <{L}> " + Q + " }", REFUSED),
    ("service-lower", "select * where { service <{L}> " + Q + " }", REFUSED),
    ("service-mixed-case", "SELECT * WHERE { SeRvIcE <{L}> " + Q + " }", REFUSED),
    ("service-silent", "SELECT * WHERE { SERVICE SILENT <{L}> " + Q + " }", REFUSED),
    ("service-variable", "SELECT * WHERE { VALUES ?e { <{L}> } SERVICE ?e " + Q + " }", REFUSED),
    ("after-cr-comment", "SELECT * WHERE { ?s ?p ?o # note\rSERVICE <{L}> " + Q + " }", REFUSED),
    ("after-crlf-comment", "SELECT * WHERE { # note\r\nSERVICE <{L}> " + Q + " }", REFUSED),
    ("escaped-keyword", "SELECT * WHERE { \\u0053ERVICE <{L}> " + Q + " }", REFUSED),
    ("escaped-middle", "SELECT * WHERE { SERV\\u0049CE <{L}> " + Q + " }", REFUSED),
    ("escaped-long-form", "SELECT * WHERE { \\U00000053ERVICE <{L}> " + Q + " }", REFUSED),
    ("escaped-lower", "SELECT * WHERE { \\u0073ervice <{L}> " + Q + " }", REFUSED),
    ("double-escape", "SELECT * WHERE { \\u005Cu0053ERVICE <{L}> " + Q + " }", SYNTAX),
    ("escaped-backslash-pair", 'SELECT * WHERE { ?s ?p "\\\\u0041" . SERVICE <{L}> ' + Q + " }", SYNTAX),
    ("subquery", "SELECT * WHERE { { SELECT * WHERE { SERVICE <{L}> " + Q + " } } }", REFUSED),
    ("optional", "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("minus", "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("exists", "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("not-exists", "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("union", "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("graph", "SELECT * WHERE { GRAPH ?g { SERVICE <{L}> " + Q + " } }", REFUSED),
    ("construct-carrier", "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{L}> " + Q + " }", REFUSED),
    ("describe-carrier", "DESCRIBE ?s WHERE { SERVICE <{L}> " + Q + " }", REFUSED),
    ("ask-carrier", "ASK { SERVICE <{L}> " + Q + " }", REFUSED),
    ("keyword-prefix-declared", "PREFIX : <{L}> PREFIX SERVICE: <urn:x#> SELECT * WHERE { SERVICE:x " + Q + " }", STORE),
    ("keyword-prefix-undeclared", "PREFIX : <{L}> SELECT * WHERE { SERVICE:x " + Q + " }", SYNTAX),
    ("iri-as-less-than", "SELECT * WHERE { BIND(1 AS ?a) FILTER(?a<#> '''\n 2) SERVICE <{L}> " + Q + " #'''\n}", STORE),
    ("apostrophe-in-iri", "SELECT * WHERE { BIND(1 AS ?a) FILTER(?a<'x>' ) SERVICE <{L}> " + Q + " #'\n}", STORE),
    ("string-ends-early", 'SELECT * WHERE { BIND("a\\\\" AS ?x) SERVICE <{L}> ' + Q + " }", REFUSED),
    ("long-string-quotes", "SELECT * WHERE { BIND('''a''' AS ?x) SERVICE <{L}> " + Q + " }", REFUSED),
    ("load", "LOAD <{L}>", REFUSED),
    ("load-silent-into", "LOAD SILENT <{L}> INTO GRAPH <urn:g>", REFUSED),
    ("load-lower", "load <{L}>", REFUSED),
    ("load-escaped", "\\u004cOAD <{L}>", REFUSED),
    ("load-after-prologue", "PREFIX x: <urn:x#>\n# load it\nLOAD <{L}>", REFUSED),
    ("insert-data", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", REFUSED),
    ("delete-data", "DELETE DATA { <urn:a> <urn:b> <urn:c> }", REFUSED),
    ("delete-where", "DELETE WHERE { ?s ?p ?o }", REFUSED),
    ("insert-from-service", "INSERT { ?s ?p ?o } WHERE { SERVICE <{L}> " + Q + " }", REFUSED),
    ("with-delete-insert", "WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", REFUSED),
    ("clear", "CLEAR ALL", REFUSED),
    ("drop", "DROP GRAPH <urn:g>", REFUSED),
    ("create", "CREATE GRAPH <urn:g>", REFUSED),
    ("copy", "COPY DEFAULT TO <urn:g>", REFUSED),
    ("move", "MOVE <urn:a> TO <urn:b>", REFUSED),
    ("add", "ADD <urn:a> TO <urn:b>", REFUSED),
    ("two-updates", "CLEAR DEFAULT ; LOAD <{L}>", REFUSED),
    ("query-then-update", "SELECT * WHERE { ?s ?p ?o } ; LOAD <{L}>", SYNTAX),
    ("update-garbage", "INSERT DATA { <urn:a> <urn:b> }", SYNTAX),
    ("service-garbage", "SELECT * WHERE { SERVICE <{L}> { ?s ?p } ", SYNTAX),
    ("vendor-pragma", "DEFINE get:soft \"replace\" SELECT * FROM <{L}> WHERE " + Q, SYNTAX),
    ("deep-nesting", "SELECT (" + "(" * 10000 + "1" + ")" * 10000 + " AS ?x) WHERE {}", SYNTAX),
    ("operator-chain", "SELECT * WHERE { " + " ".join(["MINUS {}"] * 6000) + " }", SYNTAX),
    ("nul-character", "SELECT * WHERE { ?s ?p ?o \x00 SERVICE <{L}> " + Q + " }", SYNTAX),
    ("byte-order-mark", "\ufeffSELECT * WHERE { SERVICE <{L}> " + Q + " }", SYNTAX),
]
# texts the policy lets through, with the words where they do no harm; {L} is the listener
BENIGN = [
    ("word-in-string", 'SELECT ?service WHERE { BIND("SERVICE <{L}> { } ; LOAD <{L}>" AS ?service) }'),
    ("word-in-long-string", "SELECT ?x WHERE { BIND('''INSERT DATA { <a:b> <a:c> <a:d> }\nSERVICE''' AS ?x) }"),
    ("word-in-comment", "# SERVICE <{L}> { ?s ?p ?o } and LOAD <{L}>\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 1"),
    ("cr-comment-then-code", "SELECT (1 AS ?one) WHERE { # SERVICE <{L}> {}\r}"),
    ("word-in-iri", "SELECT ?s WHERE { ?s <http://example.org/service#load> ?o } LIMIT 1"),
    ("word-as-prefix", "PREFIX service: <http://example.org/service/> SELECT ?s WHERE { ?s service:load ?o } LIMIT 1"),
    ("word-as-local-name", "PREFIX ex: <http://example.org/> SELECT ?s WHERE { ?s ex:SERVICE ex:INSERT } LIMIT 1"),
    ("word-as-variable", "SELECT ?service ?load ?insert WHERE { ?service ?load ?insert } LIMIT 1"),
    ("word-as-language", 'SELECT ?x WHERE { BIND("x"@service AS ?x) }'),
    ("escaped-quote-in-string", 'SELECT ?x WHERE { BIND("a \\" SERVICE <{L}> {" AS ?x) }'),
    ("escape-decoded-in-string", 'SELECT ?x WHERE { BIND("\\u0053ERVICE" AS ?x) }'),
    ("describe-iri", "DESCRIBE <{L}>"),                           # described from the store, never fetched
    ("from-iri", "SELECT * FROM <{L}> FROM NAMED <{L}x> WHERE { ?s ?p ?o } LIMIT 1"),
    ("graph-iri", "SELECT * WHERE { GRAPH <{L}> { ?s ?p ?o } } LIMIT 1"),
    ("iri-function", 'SELECT (IRI("{L}") AS ?x) WHERE {}'),
    ("less-than", "SELECT ?x WHERE { VALUES ?x { 1 2 3 } FILTER(?x < 3 && ?x>1 || ?x<1) }"),
]
# (catalogue query, parameter, value) that try to close the term and add text
PARAMS = [
    ("site-operator-owner", "site", "https://w3id.org/oretrace/id/site/x> } SERVICE <{L}> { ?a ?b ?c } #"),
    ("site-operator-owner", "site", "<{L}> } SERVICE <{L}> { ?a ?b ?c } <urn:x>"),
    ("site-operator-owner", "site", "site/x> } SERVICE <{L}> {"),
    ("site-operator-owner", "site", "ot:x>} SERVICE <{L}> {} #"),
    ("element-production-exports", "year", "2018) } SERVICE <{L}> { ?a ?b ?c } #"),
    ("element-production-exports", "year", "2018 ; LOAD <{L}>"),
]


class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it. It answers an empty SPARQL result,
    or (`answer="never"`) holds the connection without a word, or (`answer="500"`) fails."""

    def __init__(self, answer: str = "empty"):
        self.sock, self.answer, self.conns = socket.socket(), answer, []
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.hits: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        replies = {"empty": (b"200 OK", b"application/sparql-results+json", b'{"head":{"vars":[]},"results":{"bindings":[]}}'),
                   "500": (b"500 Internal Server Error", b"text/plain", b"boom")}
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.answer == "never":
                self.hits.append(b"(connected)")
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.hits.append(conn.recv(4096) or b"(connected)")
                    status, ctype, body = replies[self.answer]
                    conn.sendall(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                                 % (status, ctype, len(body), body))
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()

    def assert_untouched(self, what):
        time.sleep(0.05)
        assert self.hits == [], f"{what}: an outbound request reached 127.0.0.1: {self.hits[:1]}"


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


def fill(text: str, listener: Listener) -> str:
    return text.replace("{L}", listener.url)


@pytest.fixture(scope="module")
def server(built):
    with serve.for_settings(built, limits=serve.Limits(timeout_s=5)) as srv:
        yield srv


def http(url, data=None, ctype=None):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": ctype} if ctype else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def expected_status(expected: str) -> set[int]:
    return {403} if expected == REFUSED else {400}


def test_the_table_is_large_and_each_entry_is_hostile():
    assert len(HOSTILE) >= 40 and len({h[0] for h in HOSTILE}) == len(HOSTILE)
    for name, text, expected in HOSTILE:
        text = text.replace("{L}", "http://127.0.0.1:9/")
        if expected == STORE:  # a scanner that reads `<` as less-than would see SERVICE; the canonical text has none
            canonical = sparqltext.tokenize(sparqltext.check(text).text)
            assert not [t for t in canonical if t.kind == sparqltext.KEYWORD and t.text == "SERVICE"], name
            continue
        with pytest.raises(sparqltext.QueryError) as e:
            sparqltext.check(text)
        assert e.value.status in expected_status(expected), (name, str(e.value))


# ------------------------------------------------------------------ the endpoint
@pytest.mark.parametrize("name,text,expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_endpoint_refuses(server, listener, name, text, expected):
    text = fill(text, listener)
    url = server.sparql + "?" + urllib.parse.urlencode({"query": text})
    status, body = http(url)
    assert status in (expected_status(expected) if len(url) < 16000 else {431}), (status, body[:300])  # 431: URL too long
    for status, body in (http(server.sparql, urllib.parse.urlencode({"query": text}).encode(),
                              "application/x-www-form-urlencoded"),
                         http(server.sparql, text.encode(), "application/sparql-query")):
        assert status in expected_status(expected), (status, body[:300])
    listener.assert_untouched(name)


@pytest.mark.parametrize("name,text", BENIGN, ids=[b[0] for b in BENIGN])
def test_endpoint_runs_benign_queries(server, listener, name, text):
    status, body = http(server.sparql + "?" + urllib.parse.urlencode({"query": fill(text, listener)}))
    assert status == 200, body[:500]
    listener.assert_untouched(name)


# ------------------------------------------------------------------ the command line
def run_cli(built, *args) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--root", str(ROOT), "--build", str(built.build_dir), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,text,expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_cli_refuses(built, listener, name, text, expected):
    code, out, err = run_cli(built, "query", fill(text, listener))
    assert code == 2 and out == "", (code, out[:200], err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    listener.assert_untouched(name)


@pytest.mark.parametrize("name,text", BENIGN, ids=[b[0] for b in BENIGN])
def test_cli_runs_benign_queries(built, listener, name, text):
    code, out, err = run_cli(built, "query", fill(text, listener))
    assert code == 0 and err == "", err
    listener.assert_untouched(name)


@pytest.mark.parametrize("name,param,value", PARAMS)
def test_cli_parameters_cannot_inject(built, listener, name, param, value):
    code, out, err = run_cli(built, "query", name, "-p", f"{param}={fill(value, listener)}")
    assert code == 2 and out == "" and f"parameter {param}" in err and err.count("\n") == 1, err
    listener.assert_untouched(name)


def test_the_real_command(built, listener):
    env = dict(os.environ, ORETRACE_BUILD=str(built.build_dir))
    for text in (HOSTILE[5][1], HOSTILE[8][1], "LOAD <{L}>"):
        r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "query", fill(text, listener)],
                           capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.stderr
    listener.assert_untouched("oretrace query")


def test_cli_through_the_endpoint(built, server, listener):
    """`oretrace query --endpoint`: the policy runs on the client too, so nothing hostile is even sent."""
    code, out, err = run_cli(built, "query", fill(HOSTILE[0][1], listener), "--endpoint", server.sparql)
    assert code == 2 and "SERVICE" in err
    code, out, err = run_cli(built, "query", "ASK { ?s ?p ?o }", "--endpoint", server.sparql)
    assert code == 0 and out.strip() == "true"
    listener.assert_untouched("--endpoint")


# ------------------------------------------------------------------ the app
APP = ROOT / "app"
SCRIPT = """
import sys
sys.path.insert(0, {app!r})
from views import sparql
sparql.render()
"""


@pytest.fixture()
def app_env(built, monkeypatch):
    pytest.importorskip("streamlit")
    monkeypatch.setenv("ORETRACE_ROOT", str(built.root))
    monkeypatch.setenv("ORETRACE_BUILD", str(built.build_dir))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    return built


def sparql_page(**params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(SCRIPT.format(app=str(APP)), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name,text,expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_app_refuses(app_env, listener, name, text, expected):
    at = sparql_page(q=fill(text, listener))  # the permalink /sparql?q=... runs the query as the page opens
    assert at.error and not any("internal error" in e.value for e in at.error), [e.value for e in at.error]
    with pytest.raises(appdata.AppError):
        appdata.connect(app_env).run_user_query(fill(text, listener))
    listener.assert_untouched(name)


@pytest.mark.parametrize("name,text", BENIGN, ids=[b[0] for b in BENIGN])
def test_app_runs_benign_queries(app_env, listener, name, text):
    at = sparql_page(q=fill(text, listener))
    assert not at.error, [e.value for e in at.error]
    assert any("row" in m.value or "triple" in m.value for m in at.markdown) or at.success
    listener.assert_untouched(name)


@pytest.mark.parametrize("name,param,value", PARAMS)
def test_app_parameters_cannot_inject(app_env, listener, name, param, value):
    at = sparql_page(name=name, **{f"p.{param}": fill(value, listener)})
    assert any(f"parameter {param}" in e.value for e in at.error), [e.value for e in at.error]
    with pytest.raises(query.QueryError):
        query.bind(query.catalogue(ROOT / "queries")[name], {param: fill(value, listener)}, IRIs(app_env.base))
    listener.assert_untouched(name)
