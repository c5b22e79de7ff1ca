"""`oretrace serve`: the built graph as a read-only SPARQL 1.1 endpoint and as linked data on 127.0.0.1.

SPARQL is evaluated by Oxigraph's own server (`oxigraph serve-read-only`, union default graph,
per-query timeout), run as a child process on a private loopback port. In front of it a small
gateway adds what Oxigraph's server does not have: updates, LOAD and SERVICE refused, a cap on
result size, a hard time limit, CORS, content negotiation for entity IRIs (`/id/...`), the VoID
description, the dumps and the named graphs as documents.

Routes: /sparql (SPARQL 1.1 Protocol, also /query), /id/{kind}/{slug}, /graph/{name}, /ontology,
/.well-known/void (also /void, /id/dataset/oretrace), /dump/{file}, / (a page for people).
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox

from . import linkeddata as ld
from .vocab import DCAT, PREFIXES, IRIs

RESULT_MEDIA = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_MEDIA = {**ld.RDF_MEDIA, "application/json": ox.RdfFormat.JSON_LD, "application/xml": ox.RdfFormat.RDF_XML,
               "text/n3": ox.RdfFormat.TURTLE, "application/x-turtle": ox.RdfFormat.TURTLE,
               "text/plain": ox.RdfFormat.N_TRIPLES}
UPSTREAM_ACCEPT = "application/sparql-results+json, application/n-triples"
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
READ_ONLY = ("this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, ...) is refused; "
             "change the data through the curated files and `oretrace build`")


class ServeError(Exception):
    """The server could not start."""


@dataclass
class Limits:
    """What one request may cost."""

    timeout_s: float = 10.0       # per query; Oxigraph cancels at this time, the gateway gives up 1 s later
    max_rows: int = 10_000        # solutions of a SELECT, triples of a CONSTRUCT/DESCRIBE
    max_bytes: int = 64 << 20     # bytes of one upstream answer
    max_parallel: int = 8         # queries evaluated at once; more wait in line


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict = field(default_factory=dict)


def _text(status: int, msg: str, **headers) -> Reply:
    return Reply(status, (msg.rstrip() + "\n").encode(), headers=headers)


# ------------------------------------------------------------------ query text checks
_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][\w]+)
  | (?P<word>[A-Za-z_][\w.-]*(?::[\w.%-]*)?|:[\w.%-]*)
  | (?P<other>[\s\S])''', re.X)


def keywords(query: str) -> list[str]:
    """The bare words of a SPARQL text in upper case: no comments, strings, IRIs, variables or prefixed names."""
    out = []
    for m in _TOKEN.finditer(query):
        w = m.group("word")
        if w and ":" not in w:
            out.append(w.upper())
    return out


def refusal(query: str) -> str | None:
    """Why the gateway refuses this query text, or None."""
    words = keywords(query)
    i = 0
    while i < len(words) and words[i] in ("PREFIX", "BASE"):
        i += 1
    if i < len(words) and words[i] in UPDATE_WORDS:
        return READ_ONLY
    if "SERVICE" in words:
        return ("SERVICE (federated query) is disabled on this endpoint: it would make the server fetch "
                "data from another address; run the federated query from your own client instead")
    return None


# ------------------------------------------------------------------ Oxigraph child process
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Oxigraph:
    """`oxigraph serve-read-only` on a store directory, bound to a private loopback port."""

    def __init__(self, location: Path, timeout_s: float, port: int | None = None):
        self.location, self.timeout_s, self.port = Path(location), timeout_s, port
        self.proc: subprocess.Popen | None = None

    def start(self, wait_s: float = 20.0) -> None:
        exe = shutil.which("oxigraph")
        if exe is None:
            raise ServeError("the `oxigraph` command is not installed (pip install oxigraph)")
        if not (self.location.is_dir()):
            raise ServeError(f"no store at {self.location} (run `oretrace build` first)")
        for _ in range(3):
            port = self.port or free_port()
            cmd = [exe, "serve-read-only", "--location", str(self.location), "--bind", f"127.0.0.1:{port}",
                   "--cors", "--union-default-graph", "--timeout-s", str(max(1, int(round(self.timeout_s))))]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
            t_end = time.monotonic() + wait_s
            while time.monotonic() < t_end:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        self.port = port
                        return
                except OSError:
                    time.sleep(0.05)
            err = self._stop_and_read()
            if "in use" not in err.lower() or self.port:
                raise ServeError(f"Oxigraph did not start on 127.0.0.1:{port}: {err.strip() or 'no answer'}")
        raise ServeError("Oxigraph could not find a free port")

    def _stop_and_read(self) -> str:
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        self.proc = None
        return err

    def stop(self) -> None:
        self._stop_and_read()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


# ------------------------------------------------------------------ the gateway
class Timeout(Exception):
    pass


class TooLarge(Exception):
    pass


class Gateway:
    """Answers one HTTP request at a time (thread-safe): SPARQL through Oxigraph, linked data, files."""

    def __init__(self, upstream_port: int, iris: IRIs, limits: Limits, release: Path | None = None):
        self.port, self.iris, self.limits, self.release = upstream_port, iris, limits, release
        self.slots = threading.BoundedSemaphore(limits.max_parallel)

    # ---- upstream
    def _fetch(self, method: str, path: str, body: bytes | None, headers: dict, deadline: float):
        """(status, content type, body) from Oxigraph, within the deadline and the byte cap."""
        wait = deadline - time.monotonic()
        if not self.slots.acquire(timeout=max(0.0, wait)):
            raise Timeout()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=max(0.05, deadline - time.monotonic()))
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                chunks, size = [], 0
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Timeout()
                    if conn.sock is not None:
                        conn.sock.settimeout(left)
                    chunk = resp.read1(1 << 16) if hasattr(resp, "read1") else resp.read(1 << 16)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.limits.max_bytes:
                        raise TooLarge(f"more than {self.limits.max_bytes >> 20} MiB")
                    chunks.append(chunk)
                return resp.status, resp.getheader("Content-Type", ""), b"".join(chunks)
            except (socket.timeout, TimeoutError):
                raise Timeout() from None
            finally:
                conn.close()  # closing an unfinished answer also tells Oxigraph to stop writing it
        finally:
            self.slots.release()

    def select(self, query: str) -> list[dict]:
        """Rows of a SELECT run on the upstream store (for the linked-data views)."""
        deadline = time.monotonic() + self.limits.timeout_s + 1
        status, _, body = self._fetch("POST", "/query", query.encode(), {
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}, deadline)
        if status != 200:
            raise RuntimeError(f"store answered {status}: {body.decode(errors='replace')[:300]}")
        sols = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in sols.variables]
        return [{n: s[n] for n in names} for s in sols]

    # ---- SPARQL protocol
    def sparql(self, method: str, query_string: str, body: bytes, content_type: str, accept: str) -> Reply:
        params = parse_qs(query_string, keep_blank_values=True)
        ctype = content_type.split(";")[0].strip().lower()
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", content_type or "", re.I)
        if method not in ("GET", "POST"):
            return _text(405, f"{method} is not a SPARQL 1.1 Protocol query method (use GET or POST)", Allow="GET, POST, OPTIONS")
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            return _text(415, f"the request body must be UTF-8, not {charset.group(1)}")
        if method == "POST" and ctype == "application/sparql-update":
            return _text(403, READ_ONLY)
        form = {}
        if method == "POST" and ctype == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                return _text(400, "the form body is not UTF-8")
        if "update" in params or "update" in form:
            return _text(403, READ_ONLY)
        queries = params.get("query", []) + form.get("query", [])
        if method == "POST" and ctype == "application/sparql-query":
            try:
                queries.append(body.decode("utf-8"))
            except UnicodeDecodeError:
                return _text(400, "the query is not UTF-8")
        if len(queries) > 1:
            return _text(400, "give exactly one query per request")
        if not queries:
            if method == "GET":
                return self.service_description(accept)
            return _text(400, "no query: send one as ?query=, as a form field 'query', or as an "
                              "application/sparql-query body")
        why = refusal(queries[0])
        if why:
            return _text(403, why)
        headers = {"Accept": UPSTREAM_ACCEPT}
        if method == "POST":
            headers["Content-Type"] = content_type or "application/octet-stream"
        path = "/query" + (f"?{query_string}" if query_string else "")
        deadline = time.monotonic() + self.limits.timeout_s + 1
        try:
            status, up_type, data = self._fetch(method, path, body if method == "POST" else None, headers, deadline)
        except Timeout:
            return self._timeout()
        except TooLarge as e:
            return self._too_large(str(e))
        except OSError as e:
            return _text(502, f"the SPARQL store is not answering: {e}")
        if status == 400:
            return _text(400, "query rejected by the SPARQL parser: " + data.decode(errors="replace"))
        if status != 200:
            return Reply(status, data, up_type or "text/plain; charset=utf-8")
        return self._convert(up_type.split(";")[0].strip(), data, accept)

    def _timeout(self) -> Reply:
        return _text(503, f"query stopped: it ran past this endpoint's time limit of {self.limits.timeout_s:g} s "
                          "(narrow it with more specific patterns or a LIMIT)", **{"Retry-After": "0"})

    def _too_large(self, what: str) -> Reply:
        return _text(413, f"result too large: {what}, above this endpoint's cap; add a LIMIT (and OFFSET to page "
                          "through it) or download the dumps (see /.well-known/void)")

    def _convert(self, up_type: str, data: bytes, accept: str) -> Reply:
        if up_type == "application/sparql-results+json":
            try:
                doc = json.loads(data)
            except ValueError:
                return self._broken(data)
            if "boolean" not in doc and len(doc.get("results", {}).get("bindings", [])) > self.limits.max_rows:
                return self._too_large(f"more than {self.limits.max_rows} rows")
            want = ld.negotiate(accept, list(RESULT_MEDIA), "application/sparql-results+json")
            if want is None:
                want = "application/sparql-results+json"
            fmt = RESULT_MEDIA[want]
            if fmt == ox.QueryResultsFormat.JSON:
                return Reply(200, data, "application/sparql-results+json")
            res = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            ctype = {ox.QueryResultsFormat.XML: "application/sparql-results+xml", ox.QueryResultsFormat.CSV: "text/csv; charset=utf-8",
                     ox.QueryResultsFormat.TSV: "text/tab-separated-values; charset=utf-8"}[fmt]
            return Reply(200, res.serialize(format=fmt), ctype)
        if up_type == "application/n-triples":
            try:
                triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            except SyntaxError:
                return self._broken(data)
            if len(triples) > self.limits.max_rows:
                return self._too_large(f"more than {self.limits.max_rows} triples")
            want = ld.negotiate(accept, list(GRAPH_MEDIA), "text/turtle") or "text/turtle"
            fmt = GRAPH_MEDIA[want]
            if fmt == ox.RdfFormat.N_TRIPLES:
                return Reply(200, data, "application/n-triples")
            out = ox.serialize(triples, format=fmt,
                               prefixes=PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None)
            return Reply(200, out or b"", fmt.media_type)
        return Reply(200, data, up_type)

    def _broken(self, data: bytes) -> Reply:
        """Oxigraph had started a 200 answer and then stopped: its message ends the body."""
        tail = data[-300:].decode(errors="replace")
        if "cancel" in tail.lower() or "timeout" in tail.lower():
            return self._timeout()
        return _text(500, "the store stopped in the middle of the answer: " + tail.rsplit("]", 1)[-1].strip())

    def service_description(self, accept: str) -> Reply:
        """SPARQL 1.1 Service Description of this endpoint."""
        sd = "http://www.w3.org/ns/sparql-service-description#"
        ttl = f"""@prefix sd: <{sd}> .
@prefix void: <http://rdfs.org/ns/void#> .
<{self.iris.base}/sparql> a sd:Service ;
  sd:endpoint <{self.iris.base}/sparql> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:feature sd:UnionDefaultGraph ;
  sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
    <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
    <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>, <http://www.w3.org/ns/formats/JSON-LD>,
    <http://www.w3.org/ns/formats/RDF_XML> ;
  sd:defaultDataset [ a sd:Dataset ; void:sparqlEndpoint <{self.iris.base}/sparql> ;
    sd:defaultGraph [ a sd:Graph ; <http://www.w3.org/2000/01/rdf-schema#comment> "the union of all named graphs" ] ] .
"""
        triples = list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))
        want = ld.negotiate(accept, ["text/turtle", *ld.RDF_MEDIA, "text/html"], "text/turtle") or "text/turtle"
        if want == "text/html":
            return Reply(200, _query_form(self.iris).encode(), "text/html; charset=utf-8")
        fmt = ld.RDF_MEDIA.get(want, ox.RdfFormat.TURTLE)
        return Reply(200, ox.serialize(triples, format=fmt, prefixes={"sd": sd} if fmt == ox.RdfFormat.TURTLE else None),
                     fmt.media_type)

    # ---- linked data
    def entity(self, path: str, query: dict, accept: str, root: str) -> Reply:
        iri = self.iris.base + path
        media = self._page_media(query, accept)
        if media is None:
            return _text(406, "offered: " + ", ".join(ld.PAGE_MEDIA))
        if path == "/id/dataset/oretrace":
            return self.void(query, accept, root)
        try:
            rows = self.select(ld.describe_query(iri, self.iris, self.limits.max_rows + 1))
        except ValueError as e:
            return _text(400, str(e))
        except Timeout:
            return self._timeout()
        except TooLarge as e:
            return self._too_large(str(e))
        quads = ld.rows_to_quads(rows)
        if not quads:
            if media == "text/html":
                return Reply(404, ld.render_not_found(iri, root).encode(), "text/html; charset=utf-8")
            return _text(404, f"nothing is known about {iri}")
        return self._page(iri, quads, media, root, path)

    def graph(self, graph_iri: str, path: str, query: dict, accept: str, root: str) -> Reply:
        media = self._page_media(query, accept, default="text/turtle")
        if media is None:
            return _text(406, "offered: " + ", ".join(ld.PAGE_MEDIA))
        cap = max(self.limits.max_rows, 200_000)
        try:
            rows = self.select(ld.graph_query(graph_iri, cap + 1))
        except Timeout:
            return self._timeout()
        except TooLarge as e:
            return self._too_large(str(e))
        if len(rows) > cap:
            return self._too_large(f"the graph has more than {cap} triples")
        quads = ld.rows_to_quads(rows, graph_iri)
        if not quads:
            return _text(404, f"no graph {graph_iri} in this dataset")
        if media == "text/html":
            media = "text/turtle"  # a graph is shown as Turtle text in browsers
            body = ld.serialize(None, quads, media, self.iris)
            return Reply(200, body, "text/plain; charset=utf-8", {"Vary": "Accept"})
        return Reply(200, ld.serialize(None, quads, media, self.iris), RDF_CT[media], {"Vary": "Accept"})

    def _page_media(self, query: dict, accept: str, default: str = "text/turtle") -> str | None:
        if "format" in query:
            return ld.FORMAT_NAMES.get(query["format"][0].lower())
        return ld.negotiate(accept, ld.PAGE_MEDIA, default)

    def _page(self, iri: str, quads: list[ox.Quad], media: str, root: str, path: str) -> Reply:
        alternates = {n: f"{root}{quote(path)}?format={n}" for n in ("ttl", "jsonld", "nt", "trig", "nq", "rdf")}
        link = ", ".join(f'<{u}>; rel="alternate"; type="{ld.FORMAT_NAMES[n]}"' for n, u in alternates.items())
        hdr = {"Vary": "Accept", "Link": link}
        if media == "text/html":
            page = ld.render_html(iri, quads, self.iris, root, alternates)
            return Reply(200, page.encode(), "text/html; charset=utf-8", hdr)
        return Reply(200, ld.serialize(iri, quads, media, self.iris), RDF_CT[media], hdr)

    def void(self, query: dict, accept: str, root: str) -> Reply:
        if self.release is None or not (self.release / "void.ttl").is_file():
            return _text(404, "this server was started on a bare store: no dataset description")
        media = self._page_media(query, accept)
        if media is None:
            return _text(406, "offered: " + ", ".join(ld.PAGE_MEDIA))
        data = (self.release / "void.ttl").read_bytes()
        if media == "text/html":
            return Reply(200, data, "text/plain; charset=utf-8", {"Vary": "Accept"})
        if media == "text/turtle":
            return Reply(200, data, RDF_CT[media], {"Vary": "Accept"})
        triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
        return Reply(200, ox.serialize(triples, format=ld.RDF_MEDIA[media]), RDF_CT[media], {"Vary": "Accept"})

    def dump(self, name: str) -> Reply:
        if self.release is None:
            return _text(404, "this server was started on a bare store: no dumps")
        man = json.loads((self.release / "manifest.json").read_text())
        info = man["dumps"].get(name)
        if info is None or "/" in name:
            return _text(404, f"no dump {name!r}; dumps: {', '.join(sorted(man['dumps']))}")
        return Reply(200, (self.release / name).read_bytes(), info["media_type"],
                     {"ETag": f'"{info["sha256"]}"', "Digest": f"sha-256={_b64(info['sha256'])}"})

    def home(self, root: str) -> Reply:
        dumps, version = [], ""
        if self.release is not None and (self.release / "manifest.json").is_file():
            man = json.loads((self.release / "manifest.json").read_text())
            version = man.get("version", "")
            dumps = sorted(man.get("dumps", {}))
        r = html.escape(root)
        li = "".join(f'<li><a href="{r}/dump/{html.escape(d)}">{html.escape(d)}</a></li>' for d in dumps)
        page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>oretrace</title></head><body>"
                f"<h1>oretrace {html.escape(version)}</h1><p>Open knowledge graph of critical-mineral supply chains.</p>"
                f'<ul><li><a href="{r}/sparql">SPARQL endpoint</a> (read-only, SPARQL 1.1 Protocol)</li>'
                f'<li><a href="{r}/.well-known/void">dataset description</a> (VoID, DCAT)</li>'
                f'<li><a href="{r}/ontology">ontology</a></li></ul><h2>Dumps</h2><ul>{li}</ul></body></html>')
        return Reply(200, page.encode(), "text/html; charset=utf-8")


RDF_CT = {m: (m + "; charset=utf-8" if m in ("text/turtle",) else m) for m in ld.RDF_MEDIA}


def _b64(hexdigest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hexdigest)).decode()


def _query_form(iris: IRIs) -> str:
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>oretrace SPARQL</title></head><body>"
            "<h1>oretrace SPARQL endpoint</h1><form method=get><textarea name=query rows=12 cols=90>"
            "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?triples) LIMIT 20"
            "</textarea><br><select name=format><option value=''>JSON</option></select>"
            "<button>Run</button></form><p>Read-only. The default graph is the union of all graphs; each statement "
            f"is also a named graph under <code>{html.escape(iris.base)}/id/statement/</code>.</p></body></html>")


# ------------------------------------------------------------------ HTTP front
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oretrace"
    gateway: Gateway  # set on the subclass made by Server
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _root(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"http://{host}"

    def _send(self, r: Reply, head: bool = False) -> None:
        self.send_response(r.status)
        self.send_header("Content-Type", r.content_type)
        self.send_header("Content-Length", str(len(r.body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Type, Link, Vary, ETag")
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(r.body)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _route(self, method: str) -> Reply:
        url = urlsplit(self.path)
        path, qs = url.path, url.query
        g = self.gateway
        accept = self.headers.get("Accept", "")
        body = self._body() if method in ("POST", "PUT", "PATCH", "DELETE") else b""
        if path in ("/sparql", "/sparql/", "/query"):
            return g.sparql(method, qs, body, self.headers.get("Content-Type", ""), accept)
        if path in ("/update", "/store"):
            return _text(403, READ_ONLY)
        if method not in ("GET", "HEAD"):
            return _text(405, f"{method} is not allowed on {path}", Allow="GET, HEAD, OPTIONS")
        q = parse_qs(qs)
        if path.startswith("/id/") and path.count("/") >= 3:
            return g.entity(path, q, accept, self._root())
        if path in ("/.well-known/void", "/void", "/void.ttl"):
            return g.void(q, accept, self._root())
        if path.startswith("/graph/"):
            return g.graph(g.iris.base + path, path, q, accept, self._root())
        if path in ("/ontology", "/ontology/"):
            return g.graph(g.iris.ontology_graph, path, q, accept, self._root())
        if path.startswith("/dump/"):
            return g.dump(path[len("/dump/"):])
        if path == "/":
            return g.home(self._root())
        return _text(404, f"no such page: {path} (see / for what this server offers)")

    def _handle(self, method: str) -> None:
        try:
            r = self._route("GET" if method == "HEAD" else method)
        except Exception as e:  # a bug must not take the server down; say what happened
            r = _text(500, f"internal error: {type(e).__name__}: {e}")
        try:
            self._send(r, head=method == "HEAD")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True


class Server:
    """Oxigraph plus the gateway, on 127.0.0.1; a context manager. `url` is the root, `sparql` the endpoint."""

    def __init__(self, location: Path, iris: IRIs, port: int = 0, limits: Limits | None = None,
                 release: Path | None = None, verbose: bool = False):
        self.location, self.iris, self.port = Path(location), iris, port
        self.limits, self.release, self.verbose = limits or Limits(), release, verbose
        self.oxigraph = Oxigraph(self.location, self.limits.timeout_s)
        self.httpd: _HTTPServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> "Server":
        self.oxigraph.start()
        gateway = Gateway(self.oxigraph.port, self.iris, self.limits, self.release)
        handler = type("Handler", (_Handler,), {"gateway": gateway, "verbose": self.verbose})
        try:
            self.httpd = _HTTPServer(("127.0.0.1", self.port), handler)
        except OSError as e:
            self.oxigraph.stop()
            raise ServeError(f"cannot listen on 127.0.0.1:{self.port}: {e}") from None
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="oretrace-serve", daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        self.oxigraph.stop()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def for_settings(settings, port: int = 0, limits: Limits | None = None, verbose: bool = False) -> Server:
    """A server for the current build of a project."""
    from . import store

    rel = store.current_release(settings)
    return Server(rel / "store", IRIs(settings.base), port, limits, rel, verbose)


# ------------------------------------------------------------------ command line
def register(sub) -> dict:
    p = sub.add_parser("serve", help="serve the built graph: SPARQL endpoint and linked data on 127.0.0.1")
    p.add_argument("--port", type=int, default=7878, help="port on 127.0.0.1 (default 7878; 0 picks a free one)")
    p.add_argument("--timeout", type=float, default=Limits.timeout_s, help="seconds a query may run (default %(default)s)")
    p.add_argument("--max-rows", type=int, default=Limits.max_rows,
                   help="most rows or triples in one answer (default %(default)s)")
    p.add_argument("--location", type=Path, help="serve this Oxigraph store directory instead of the current build")
    p.add_argument("--log", action="store_true", help="log every request to stderr")
    return {"serve": cmd_serve}


def cmd_serve(args, settings) -> int:
    from . import store

    limits = Limits(timeout_s=args.timeout, max_rows=args.max_rows)
    try:
        if args.location:
            srv = Server(args.location, IRIs(settings.base), args.port, limits, None, args.log)
        else:
            srv = for_settings(settings, args.port, limits, args.log)
        srv.start()
    except (store.NoBuildError, ServeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"oretrace: SPARQL endpoint {srv.sparql} (read-only, {limits.timeout_s:g} s per query, "
          f"at most {limits.max_rows} rows)\n          linked data under {srv.url}/id/ ; Ctrl-C stops",
          file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        while not stop.wait(1.0):
            if not srv.oxigraph.alive:
                print("error: the Oxigraph process stopped; shutting down", file=sys.stderr)
                srv.stop()
                return 2
    except KeyboardInterrupt:
        pass
    srv.stop()
    return 0
