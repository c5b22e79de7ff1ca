"""`oretrace serve`: the built graph as a read-only SPARQL 1.1 endpoint and as linked data on 127.0.0.1.

SPARQL is evaluated by an upstream SPARQL 1.1 server: by default Oxigraph's own
(`oxigraph serve-read-only`, union default graph, per-query timeout) run as a child process on a
private loopback port; the gateway only ever talks to it through its query URL, so any SPARQL 1.1
query endpoint can stand in (`Server(upstream=URL)`). In front of it the gateway adds what such a
server does not have: the read-only policy of `oretrace.sparqltext` (updates, LOAD and SERVICE
refused; only the policy's canonical text is forwarded), a cap on result size, a hard time limit,
"busy, retry" (503, Retry-After) told apart from "your query ran too long" (504), CORS, content
negotiation for entity IRIs (`/id/...`), the VoID description, the dumps and the named graphs as
documents. Pages link with the configured IRI base, never the Host header, and every answer carries
a restrictive Content-Security-Policy. The HTTP side (body caps, timeouts for idle and slow
clients) is `oretrace.httpfront`.

Routes: /sparql (SPARQL 1.1 Protocol, also /query), /id/{kind}/{slug}, /graph/{name}, /ontology,
/.well-known/void (also /void, /id/dataset/oretrace), /dump/{file}, / (a page for people).
(About 590 lines on purpose: the Oxigraph child, the gateway's routes and the command belong together.)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox

from . import linkeddata as ld
from . import media, sparqltext
from .backend import EndpointBackend, QueryTimeout, ResultTooLarge, Unreachable, http_request
from .httpfront import Front, FrontLimits, Reply, Request, text_reply
from .sparqltext import READ_ONLY, QueryError
from .vocab import IRIs

UPSTREAM_ACCEPT = "application/sparql-results+json, application/n-triples"
CSP = ("default-src 'none'; style-src 'sha256-{style}'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'").format(style=base64.b64encode(hashlib.sha256(ld.CSS.encode()).digest()).decode())
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer", "Access-Control-Allow-Origin": "*",
                    "Access-Control-Expose-Headers": "Content-Type, Link, Vary, ETag, Retry-After"}


class ServeError(Exception):
    """The server could not start."""


@dataclass
class Limits:
    """What one request may cost (the HTTP-level ones are passed to `oretrace.httpfront`)."""

    timeout_s: float = 10.0       # per query; Oxigraph cancels at this time, the gateway gives up 1 s later
    max_rows: int = 10_000        # solutions of a SELECT, triples of a CONSTRUCT/DESCRIBE
    max_bytes: int = 64 << 20     # bytes of one upstream answer
    max_parallel: int = 8         # requests answered at once
    max_waiting: int = 256        # requests waiting in line; more get 503 at once
    queue_s: float = 10.0         # longest wait in line before 503 (busy, retry)
    max_body: int = 1 << 20       # bytes of a request body (413 above)
    request_s: float = 10.0       # to receive a whole request (headers and body) once it has begun
    idle_s: float = 15.0          # a kept-alive connection is closed after this long without a request

    def front(self) -> FrontLimits:
        return FrontLimits(max_body=self.max_body, request_s=self.request_s, idle_s=self.idle_s,
                           workers=self.max_parallel, max_waiting=self.max_waiting, queue_s=self.queue_s)


_text = text_reply


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

    @property
    def url(self) -> str:
        """The SPARQL query URL of the child process."""
        return f"http://127.0.0.1:{self.port}/query"


# ------------------------------------------------------------------ the gateway
class Gateway:
    """Answers one HTTP request at a time (thread-safe): SPARQL through the upstream store, linked data, files."""

    def __init__(self, upstream: str, iris: IRIs, limits: Limits, release: Path | None = None):
        self.upstream, self.iris, self.limits, self.release = upstream, iris, limits, release
        self.backend = EndpointBackend(upstream, timeout=limits.timeout_s + 1, max_bytes=limits.max_bytes,
                                       label="the gateway's store")

    # ---- the server's own lookups
    def select(self, text: str, cap: int) -> list[dict]:
        """Rows of a SELECT run on the upstream store (for the linked-data views), through the one read side."""
        res = self.backend.run(text, timeout=self.limits.timeout_s + 1, cap=cap)
        return [dict(zip(res.columns, row)) for row in res.rows]

    # ---- SPARQL protocol
    def sparql(self, method: str, query_string: str, body: bytes, content_type: str, accept: str) -> Reply:
        params = parse_qs(query_string, keep_blank_values=True)
        ctype = media.base_type(content_type)
        charset = next((p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";")[1:]
                        if p.strip().lower().startswith("charset=")), None)
        if method not in ("GET", "POST"):
            return _text(405, f"{method} is not a SPARQL 1.1 Protocol query method (use GET or POST)", Allow="GET, POST, OPTIONS")
        if charset and charset.lower() not in ("utf-8", "utf8"):
            return _text(415, f"the request body must be UTF-8, not {charset[:40]}")
        if method == "POST" and ctype == "application/sparql-update":
            return _text(403, READ_ONLY)
        if method == "POST" and ctype not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            return _text(415, "send a query as application/sparql-query or as an application/x-www-form-urlencoded form")
        form = {}
        if method == "POST" and ctype == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
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
        dataset = []
        for key in ("default-graph-uri", "named-graph-uri"):
            for g in params.get(key, []) + form.get(key, []):
                try:
                    dataset.append((key, ox.NamedNode(g).value))
                except ValueError:
                    return _text(400, f"{key} {g[:200]!r} is not an absolute IRI")
        try:
            checked = sparqltext.check(queries[0])
        except QueryError as e:
            return self._error(e)
        request = urllib.parse.urlencode([("query", checked.text), *dataset]).encode()
        try:
            status, headers, data = http_request(
                self.upstream, "POST", request, {"Content-Type": "application/x-www-form-urlencoded",
                                                 "Accept": UPSTREAM_ACCEPT},
                time.monotonic() + self.limits.timeout_s + 1, self.limits.max_bytes)
        except QueryError as e:
            return self._error(e)
        text = data.decode(errors="replace")
        if status == 400:
            return _text(400, "query rejected by the SPARQL parser: " + text)
        if status != 200:
            if "timeout" in text.lower() or "timed out" in text.lower() or "cancel" in text.lower():
                return self._error(QueryTimeout(""))
            return _text(502, f"the SPARQL store answered {status}: {text[:500]}")
        return self._convert(media.base_type(headers.get("content-type")), data, accept)

    def _error(self, e: QueryError) -> Reply:
        if isinstance(e, QueryTimeout):
            return _text(504, f"query stopped: it ran past this endpoint's time limit of {self.limits.timeout_s:g} s; "
                              "it will stop again if sent as it is: narrow it with more specific patterns or a LIMIT")
        if isinstance(e, ResultTooLarge):
            return self._too_large(str(e))
        if isinstance(e, Unreachable):
            return _text(502, f"the SPARQL store is not answering: {e}")
        return _text(e.status, str(e))

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
            want = media.negotiate(accept, list(media.RESULTS), "application/sparql-results+json",
                                   media.RESULT_ALIASES) or "application/sparql-results+json"
            fmt = media.RESULTS[want]
            if fmt == ox.QueryResultsFormat.JSON:
                return Reply(200, data, want)
            res = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            return Reply(200, res.serialize(format=fmt), media.content_type(want))
        if up_type == "application/n-triples":
            try:
                triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            except SyntaxError:
                return self._broken(data)
            if len(triples) > self.limits.max_rows:
                return self._too_large(f"more than {self.limits.max_rows} triples")
            want = media.negotiate(accept, list(media.RDF), "text/turtle") or "text/turtle"
            fmt = media.RDF[want]
            if fmt == ox.RdfFormat.N_TRIPLES:
                return Reply(200, data, "application/n-triples")
            out = ox.serialize(triples, format=fmt, prefixes=media.prefixes_for(fmt))
            return Reply(200, out or b"", fmt.media_type)
        return _text(502, f"the SPARQL store answered with {up_type or 'no media type'}")

    def _broken(self, data: bytes) -> Reply:
        """The store had started a 200 answer and then stopped: its message ends the body."""
        tail = data[-300:].decode(errors="replace")
        if "cancel" in tail.lower() or "timeout" in tail.lower():
            return self._error(QueryTimeout(""))
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
        want = media.negotiate(accept, ["text/turtle", *media.RDF, media.HTML], "text/turtle") or "text/turtle"
        if want == media.HTML:
            return Reply(200, _query_form(self.iris).encode(), media.content_type(media.HTML))
        fmt = media.RDF.get(want, ox.RdfFormat.TURTLE)
        return Reply(200, ox.serialize(triples, format=fmt, prefixes={"sd": sd} if fmt == ox.RdfFormat.TURTLE else None),
                     media.content_type(fmt.media_type))

    # ---- linked data
    def entity(self, path: str, query: dict, accept: str) -> Reply:
        iri = self.iris.base + path
        want = self._page_media(query, accept)
        if want is None:
            return _text(406, "offered: " + ", ".join(media.PAGE))
        if path == "/id/dataset/oretrace":
            return self.void(query, accept)
        try:
            text = ld.describe_query(iri, self.iris, self.limits.max_rows + 1)
        except ValueError as e:
            return _text(400, str(e))
        try:
            rows = self.select(text, self.limits.max_rows + 1)
        except QueryError as e:
            return self._error(e)
        quads = ld.rows_to_quads(rows)
        if not quads:
            if want == media.HTML:
                return Reply(404, ld.render_not_found(iri, self.iris).encode(), media.content_type(media.HTML))
            return _text(404, f"nothing is known about {iri}")
        gone, replacement = ld.deprecation(iri, quads)
        if replacement:  # 308 keeps the method; ?format= goes along
            fmt = query["format"][0].lower() if "format" in query else None  # a known name: _page_media checked it
            location = replacement + (f"?format={fmt}" if fmt else "")
            return Reply(308, ld.render_moved(iri, replacement, self.iris).encode(), media.content_type(media.HTML),
                         {"Location": location, "Vary": "Accept", "Link": f'<{replacement}>; rel="successor-version"'})
        page = self._page(iri, quads, want, path, withdrawn=gone)
        if gone:  # withdrawn: 410 Gone, with what the graph said about it
            page.status = 410
        return page

    def graph(self, graph_iri: str, query: dict, accept: str) -> Reply:
        want = self._page_media(query, accept)
        if want is None:
            return _text(406, "offered: " + ", ".join(media.PAGE))
        cap = max(self.limits.max_rows, 200_000)
        try:
            rows = self.select(ld.graph_query(graph_iri, cap + 1), cap + 1)
        except ValueError as e:
            return _text(400, str(e))
        except QueryError as e:
            return self._error(e)
        if len(rows) > cap:
            return self._too_large(f"the graph has more than {cap} triples")
        quads = ld.rows_to_quads(rows, graph_iri)
        if not quads:
            return _text(404, f"no graph {graph_iri} in this dataset")
        if want == media.HTML:  # a graph is shown as Turtle text in browsers
            return Reply(200, ld.serialize(None, quads, "text/turtle", self.iris), "text/plain; charset=utf-8",
                         {"Vary": "Accept"})
        return Reply(200, ld.serialize(None, quads, want, self.iris), media.content_type(want), {"Vary": "Accept"})

    def _page_media(self, query: dict, accept: str) -> str | None:
        if "format" in query:
            return media.FORMAT_NAMES.get(query["format"][0].lower())
        return media.negotiate(accept, media.PAGE, "text/turtle")

    def _page(self, iri: str, quads: list[ox.Quad], want: str, path: str, withdrawn: bool = False) -> Reply:
        base = self.iris.base
        alternates = {n: f"{base}{quote(path)}?format={n}" for n in ("ttl", "jsonld", "nt", "trig", "nq", "rdf")}
        link = ", ".join(f'<{u}>; rel="alternate"; type="{media.FORMAT_NAMES[n]}"' for n, u in alternates.items())
        hdr = {"Vary": "Accept", "Link": link}
        if want == media.HTML:
            page = ld.render_html(iri, quads, self.iris, alternates, withdrawn)
            return Reply(200, page.encode(), media.content_type(media.HTML), hdr)
        return Reply(200, ld.serialize(iri, quads, want, self.iris), media.content_type(want), hdr)

    def void(self, query: dict, accept: str) -> Reply:
        if self.release is None or not (self.release / "void.ttl").is_file():
            return _text(404, "this server was started on a bare store: no dataset description")
        want = self._page_media(query, accept)
        if want is None:
            return _text(406, "offered: " + ", ".join(media.PAGE))
        data = (self.release / "void.ttl").read_bytes()
        if want == media.HTML:
            return Reply(200, data, "text/plain; charset=utf-8", {"Vary": "Accept"})
        if want == "text/turtle":
            return Reply(200, data, media.content_type(want), {"Vary": "Accept"})
        triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
        return Reply(200, ox.serialize(triples, format=media.RDF[want]), media.content_type(want), {"Vary": "Accept"})

    def dump(self, name: str) -> Reply:
        if self.release is None:
            return _text(404, "this server was started on a bare store: no dumps")
        man = json.loads((self.release / "manifest.json").read_text())
        info = man["dumps"].get(name)
        if info is None or "/" in name:
            return _text(404, f"no dump {name[:200]!r}; dumps: {', '.join(sorted(man['dumps']))}")
        return Reply(200, b"", info["media_type"], {"ETag": f'"{info["sha256"]}"', "Digest": f"sha-256={_b64(info['sha256'])}"},
                     file=self.release / name)

    def home(self) -> Reply:
        dumps, version = [], ""
        if self.release is not None and (self.release / "manifest.json").is_file():
            man = json.loads((self.release / "manifest.json").read_text())
            version = man.get("version", "")
            dumps = sorted(man.get("dumps", {}))
        r = html.escape(self.iris.base)
        li = "".join(f'<li><a href="{r}/dump/{html.escape(quote(d))}">{html.escape(d)}</a></li>' for d in dumps)
        page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>oretrace</title></head><body>"
                f"<h1>oretrace {html.escape(version)}</h1><p>Open knowledge graph of critical-mineral supply chains.</p>"
                f'<ul><li><a href="{r}/sparql">SPARQL endpoint</a> (read-only, SPARQL 1.1 Protocol)</li>'
                f'<li><a href="{r}/.well-known/void">dataset description</a> (VoID, DCAT)</li>'
                f'<li><a href="{r}/ontology">ontology</a></li></ul><h2>Dumps</h2><ul>{li}</ul></body></html>')
        return Reply(200, page.encode(), media.content_type(media.HTML))

    # ---- routing
    def respond(self, req: Request) -> Reply:
        method = "GET" if req.method == "HEAD" else req.method
        url = urlsplit(req.target)
        path, qs = url.path, url.query
        accept = req.header("accept")
        if method == "OPTIONS":
            return Reply(204, b"", "text/plain", {"Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS",
                                                  "Access-Control-Allow-Headers": "Content-Type, Accept",
                                                  "Access-Control-Max-Age": "86400"})
        if path in ("/sparql", "/sparql/", "/query"):
            return self.sparql(method, qs, req.body, req.header("content-type"), accept)
        if path in ("/update", "/store"):
            return _text(403, READ_ONLY)
        if method != "GET":
            return _text(405, f"{method} is not allowed on {path[:200]}", Allow="GET, HEAD, OPTIONS")
        q = parse_qs(qs)
        if path.startswith("/id/") and path.count("/") >= 3:
            return self.entity(path, q, accept)
        if path in ("/.well-known/void", "/void", "/void.ttl"):
            return self.void(q, accept)
        if path.startswith("/graph/"):
            return self.graph(self.iris.base + path, q, accept)
        if path in ("/ontology", "/ontology/"):
            return self.graph(self.iris.ontology_graph, q, accept)
        if path.startswith("/dump/"):
            return self.dump(path[len("/dump/"):])
        if path == "/":
            return self.home()
        return _text(404, f"no such page: {path[:200]} (see / for what this server offers)")


def _b64(hexdigest: str) -> str:
    return base64.b64encode(bytes.fromhex(hexdigest)).decode()


def _query_form(iris: IRIs) -> str:
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>oretrace SPARQL</title></head><body>"
            "<h1>oretrace SPARQL endpoint</h1><form method=get><textarea name=query rows=12 cols=90>"
            "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?triples) LIMIT 20"
            "</textarea><br><button>Run</button></form><p>Read-only. The default graph is the union of all graphs; "
            f"each statement is also a named graph under <code>{html.escape(iris.base)}/id/statement/</code>.</p>"
            "</body></html>")


# ------------------------------------------------------------------ the server
class Server:
    """The upstream store plus the gateway, on 127.0.0.1; a context manager. `url` is the root, `sparql` the endpoint.

    Without `upstream` the store at `location` is served by an `oxigraph serve-read-only` child process;
    with `upstream` (the query URL of any SPARQL 1.1 endpoint) the gateway fronts that instead.
    """

    def __init__(self, location: Path | None, iris: IRIs, port: int = 0, limits: Limits | None = None,
                 release: Path | None = None, verbose: bool = False, upstream: str | None = None):
        self.location, self.iris, self.port = Path(location) if location else None, iris, port
        self.limits, self.release, self.verbose, self.upstream = limits or Limits(), release, verbose, upstream
        self.oxigraph = Oxigraph(self.location, self.limits.timeout_s) if upstream is None else None
        self.front: Front | None = None

    def start(self) -> "Server":
        if self.oxigraph is not None:
            self.oxigraph.start()
        gateway = Gateway(self.upstream or self.oxigraph.url, self.iris, self.limits, self.release)
        log = (lambda line: print(line, file=sys.stderr, flush=True)) if self.verbose else None
        self.front = Front(gateway.respond, self.limits.front(), self.port, SECURITY_HEADERS, log)
        try:
            self.front.start()
        except OSError as e:
            if self.oxigraph is not None:
                self.oxigraph.stop()
            raise ServeError(f"cannot listen on 127.0.0.1:{self.port}: {e}") from None
        self.port = self.front.port
        return self

    @property
    def address(self) -> tuple[str, int]:
        return self.front.address

    @property
    def alive(self) -> bool:
        return self.oxigraph is None or self.oxigraph.alive

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
            self.front = None
        if self.oxigraph is not None:
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
    p.add_argument("--upstream", metavar="URL",
                   help="front this SPARQL 1.1 query endpoint (e.g. Virtuoso's http://127.0.0.1:8890/sparql) "
                        "instead of starting Oxigraph on the build")
    p.add_argument("--log", action="store_true", help="log every request to stderr")
    return {"serve": cmd_serve}


def upstream_url(text: str) -> str:
    """The --upstream value checked: an http(s) URL with a host (the rule of `linkeddata.web_link`), a
    valid port, no white space, and no user name or password in it."""
    if not ld.web_link(text) or any(c.isspace() for c in text):
        raise ServeError(f"--upstream {text!r} is not an http(s) URL with a host; give the endpoint's query URL, "
                         "e.g. http://127.0.0.1:8890/sparql")
    u = urlsplit(text)
    try:
        u.port  # an out-of-range or non-numeric port raises here
    except ValueError as e:
        raise ServeError(f"--upstream {text!r} is not a URL ({e}); give the endpoint's query URL, "
                         "e.g. http://127.0.0.1:8890/sparql") from None
    if u.username is not None or u.password is not None:
        raise ServeError("--upstream must not hold a user name or password: the gateway only reads, and "
                         "a public read endpoint needs none")
    return text


def cmd_serve(args, settings) -> int:
    from . import store

    limits = Limits(timeout_s=args.timeout, max_rows=args.max_rows)
    try:
        if args.upstream:
            if args.location:
                raise ServeError("give --upstream or --location, not both")
            try:
                release = store.current_release(settings)  # its dumps and VoID, when there is a build
            except store.NoBuildError:
                release = None
            srv = Server(None, IRIs(settings.base), args.port, limits, release, args.log,
                         upstream=upstream_url(args.upstream))
        elif args.location:
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
            if not srv.alive:
                print("error: the Oxigraph process stopped; shutting down", file=sys.stderr)
                srv.stop()
                return 2
    except KeyboardInterrupt:
        pass
    srv.stop()
    return 0
