"""`oretrace publish`: copy the current build into any SPARQL 1.1 store over the Graph Store Protocol,
or into OpenLink Virtuoso with its bulk loader.

Each named graph of the build (one per curated statement, plus ontology, provenance, inferred,
metadata and validation) is sent with `PUT ?graph=<iri>`, which replaces that graph on the
store, so publishing the same build twice leaves the store as it was. With `--endpoint` (the
store's SPARQL query URL) graphs under the dataset's base that the build no longer has (from an
earlier build) are deleted; graphs of other datasets on the store are never touched.

Into Virtuoso (`--virtuoso-isql HOST:PORT --virtuoso-dir DIR`), the release's dumps (dataset.nq
and void.ttl, checked against the manifest) are read by Virtuoso's own bulk loader, the way large
data is loaded there: the dataset's graphs on the server (all graphs under its base, so also those
of earlier builds) are deleted, the loader reads the dumps, and the server's quad count of the
dataset must then equal the build's. Publishing twice gives the same store. The credentials come
from $ORETRACE_VIRTUOSO_AUTH (USER:PASSWORD), never from the command line.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pyoxigraph as ox

from . import crash, store as store_mod
from . import virtuoso
from .vocab import IRIs


class PublishError(Exception):
    """The store refused a request or could not be reached; `partial` once the store may hold part of the build."""

    def __init__(self, msg: str, partial: bool = True):
        super().__init__(msg)
        self.partial = partial


@dataclass
class PublishResult:
    graphs: int
    triples: int
    removed: list[str]
    seconds: float
    pruned: bool


class _Client:
    """One keep-alive HTTP connection to the store's host."""

    def __init__(self, url: str, auth: str | None = None, timeout: float = 120):
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise PublishError(f"not an http(s) URL: {url}")
        self.url, self.u, self.timeout = url, u, timeout
        self.auth = "Basic " + base64.b64encode(auth.encode()).decode() if auth else None
        self.conn = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.u.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(self.u.hostname, self.u.port, timeout=self.timeout)

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        u = urlsplit(url)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        for attempt in (1, 2):  # a keep-alive connection the server closed is reopened once
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
            except OSError as e:
                self.close()
                raise PublishError(f"cannot reach {self.url}: {e}") from None
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def graph_url(store_url: str, graph: str | None) -> str:
    sep = "&" if "?" in store_url else "?"
    return f"{store_url}{sep}default" if graph is None else f"{store_url}{sep}graph={quote(graph, safe='')}"


def remote_graphs(endpoint: str, iris: IRIs, auth: str | None = None) -> set[str]:
    """Named graphs on the store whose IRI is under the dataset's base."""
    q = (f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{iris.base}/")) }}')
    c = _Client(endpoint, auth)
    try:
        # a form (not an application/sparql-query body, on which Virtuoso 7.2 waits until the connection times out)
        status, data = c.request("POST", endpoint, urlencode({"query": q}).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
    finally:
        c.close()
    if status != 200:
        raise PublishError(f"{endpoint} answered {status} to the graph listing: {data[:300].decode(errors='replace')}")
    return {b["g"]["value"] for b in json.loads(data)["results"]["bindings"]}


def publish(settings, store_url: str, endpoint: str | None = None, auth: str | None = None,
            progress=None) -> PublishResult:
    """Send every graph of the current build to the store; remove stale graphs of this dataset if `endpoint`."""
    t0 = time.perf_counter()
    iris = IRIs(settings.base)
    st = store_mod.open_store(settings)
    graphs = sorted(g.value for g in st.named_graphs() if isinstance(g, ox.NamedNode))
    has_default = any(True for _ in st.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    targets: list[str | None] = ([None] if has_default else []) + graphs
    client = _Client(store_url, auth)
    triples = 0
    try:
        for i, g in enumerate(targets, 1):
            gn = ox.DefaultGraph() if g is None else ox.NamedNode(g)
            data = [ox.Triple(q.subject, q.predicate, q.object) for q in st.quads_for_pattern(None, None, None, gn)]
            triples += len(data)
            body = ox.serialize(data, format=ox.RdfFormat.N_TRIPLES) or b""
            # N-Triples is also Turtle: stores that only take Turtle accept it under that type
            status, resp = client.request("PUT", graph_url(store_url, g), body, {"Content-Type": "text/turtle"})
            if status not in (200, 201, 204):
                raise PublishError(f"{store_url} answered {status} to PUT of graph {g or '(default)'}: "
                                   f"{resp[:300].decode(errors='replace').strip()}")
            if progress:
                progress(i, len(targets))
            crash.point("publish:put")
        removed = []
        crash.point("publish:delete")
        if endpoint:
            stale = sorted(remote_graphs(endpoint, iris, auth) - set(graphs))
            for g in stale:
                status, resp = client.request("DELETE", graph_url(store_url, g))
                if status not in (200, 204, 404):
                    raise PublishError(f"{store_url} answered {status} to DELETE of graph {g}: "
                                       f"{resp[:300].decode(errors='replace').strip()}")
                removed.append(g)
    finally:
        client.close()
    return PublishResult(len(targets), triples, removed, time.perf_counter() - t0, endpoint is not None)


def _checked_dump(release: Path, name: str, manifest: dict) -> Path:
    """A dump of the release, after its SHA-256 is found equal to the manifest's."""
    path = release / name
    info = manifest["dumps"].get(name)
    if info is None or not path.is_file():
        raise PublishError(f"{path} is missing from the release (rebuild with `oretrace build`)", partial=False)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != info["sha256"]:
        raise PublishError(f"{path} does not match the SHA-256 in {release / 'manifest.json'}: the file was changed "
                           "after the build; rebuild with `oretrace build`", partial=False)
    return path


def publish_virtuoso(settings, isql_address: str, stage_dir, auth: str | None, log=None) -> PublishResult:
    """Bulk-load the current build into Virtuoso, replacing the dataset's graphs there (see the module text)."""
    t0 = time.perf_counter()
    iris = IRIs(settings.base)
    release = store_mod.current_release(settings)
    man = json.loads((release / "manifest.json").read_text())
    st = store_mod.open_store(settings)
    if any(True for _ in st.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        raise PublishError("the build has triples outside any named graph; the bulk loader would need a graph for them "
                           "(publish over the Graph Store Protocol instead)", partial=False)
    graphs = {g.value for g in st.named_graphs() if isinstance(g, ox.NamedNode)}
    void_graph = ox.NamedNode(iris.graph("void"))
    void_triples = sum(1 for _ in st.quads_for_pattern(None, None, None, void_graph))
    del st
    started = False

    def say(msg):
        nonlocal started
        started = True
        if log:
            log(msg)

    try:
        user, password = virtuoso.credentials(auth)
        nq = _checked_dump(release, "dataset.nq", man)
        void = _checked_dump(release, "void.ttl", man)
        with virtuoso.Sql(isql_address, user, password) as sql:
            before = virtuoso.dataset_graphs(sql, iris.base)
            virtuoso.bulk_load(sql, [(nq, iris.graph("unnamed")), (void, void_graph.value)], stage_dir, iris.base, say)
            expected = man["counts"]["quads"] + void_triples
            got = virtuoso.dataset_quads(sql, iris.base)
    except virtuoso.VirtuosoError as e:
        raise PublishError(str(e), partial=started) from None
    if got != expected:
        raise PublishError(f"Virtuoso holds {got} quads of this dataset after the load, the build has {expected}: "
                           "it merged or dropped some (see the server's virtuoso.log)")
    return PublishResult(len(graphs), expected, sorted(before - graphs), time.perf_counter() - t0, True)


# ------------------------------------------------------------------ command line
def register(sub) -> dict:
    p = sub.add_parser("publish", help="load the current build into a SPARQL 1.1 store (Graph Store Protocol) "
                                       "or into Virtuoso (bulk loader)")
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--store", metavar="URL",
                    help="the store's Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph), "
                         "http://host:3030/ds/data (Fuseki), http://host:8890/sparql-graph-crud (Virtuoso)")
    to.add_argument("--virtuoso-isql", metavar="HOST:PORT", help=(
        "bulk-load into Virtuoso through its SQL port (the isql port, e.g. 127.0.0.1:1111; over its ODBC driver); "
        "needs --virtuoso-dir and $ORETRACE_VIRTUOSO_AUTH=USER:PASSWORD"))
    p.add_argument("--virtuoso-dir", metavar="DIR", help=(
        "a folder that the Virtuoso server reads at the same path (listed in DirsAllowed of its virtuoso.ini); "
        "the dumps are linked or copied there for the loader and removed afterwards"))
    p.add_argument("--endpoint", metavar="URL",
                   help="the store's SPARQL query URL; with it, graphs of earlier builds that this build lacks are removed")
    p.add_argument("--auth", metavar="USER:PASSWORD", default=os.environ.get("ORETRACE_STORE_AUTH"),
                   help="HTTP basic credentials for the store (default $ORETRACE_STORE_AUTH)")
    return {"publish": cmd_publish}


def cmd_publish(args, settings) -> int:
    if args.virtuoso_isql:
        return _cmd_virtuoso(args, settings)
    if args.virtuoso_dir:
        print("error: --virtuoso-dir goes with --virtuoso-isql (the Graph Store Protocol needs no folder)", file=sys.stderr)
        return 2
    tty = sys.stderr.isatty()

    def progress(i, n):
        if tty:
            print(f"\r  {i}/{n} graphs", end="" if i < n else "\n", file=sys.stderr, flush=True)
        elif i == n or i % 100 == 0:
            print(f"  {i}/{n} graphs", file=sys.stderr, flush=True)

    try:
        r = publish(settings, args.store, args.endpoint, args.auth, progress)
    except store_mod.NoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except PublishError as e:
        print(f"error: {e}\nthe store may now hold part of this build; run the same command again once it answers",
              file=sys.stderr)
        return 2
    msg = f"published {r.graphs} graphs ({r.triples} triples) to {args.store} in {r.seconds:.1f} s"
    if r.pruned:
        msg += f"; removed {len(r.removed)} graph{'s' if len(r.removed) != 1 else ''} of earlier builds"
    else:
        msg += "; graphs of earlier builds were not checked (give --endpoint to remove them)"
    print(msg)
    return 0


def _cmd_virtuoso(args, settings) -> int:
    if not args.virtuoso_dir:
        print("error: --virtuoso-isql needs --virtuoso-dir DIR, a folder that the Virtuoso server may read (DirsAllowed)",
              file=sys.stderr)
        return 2
    t0 = time.perf_counter()

    def log(msg):
        print(f"  {msg} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)

    try:
        r = publish_virtuoso(settings, args.virtuoso_isql, args.virtuoso_dir, os.environ.get("ORETRACE_VIRTUOSO_AUTH"), log)
    except store_mod.NoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except PublishError as e:
        print(f"error: {e}" + ("\nthe server may now hold part of this build; run the same command again once the cause "
                               "is fixed" if e.partial else ""), file=sys.stderr)
        return 2
    print(f"published {r.graphs} graphs ({r.triples} triples) to Virtuoso at {args.virtuoso_isql} in {r.seconds:.1f} s; "
          f"removed {len(r.removed)} graph{'s' if len(r.removed) != 1 else ''} of earlier builds")
    return 0
