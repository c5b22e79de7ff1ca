"""`oretrace publish`: copy the current build into any SPARQL 1.1 store over the Graph Store Protocol.

Each named graph of the build (one per curated statement, plus ontology, provenance, inferred,
metadata and validation) is sent with `PUT ?graph=<iri>`, which replaces that graph on the
store, so publishing the same build twice leaves the store as it was. With `--endpoint` (the
store's SPARQL query URL) graphs under the dataset's base that the build no longer has (from an
earlier build) are deleted; graphs of other datasets on the store are never touched.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from . import crash, store as store_mod
from .vocab import IRIs


class PublishError(Exception):
    """The store refused a request or could not be reached."""


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
        status, data = c.request("POST", endpoint, q.encode(), {
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
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


# ------------------------------------------------------------------ command line
def register(sub) -> dict:
    p = sub.add_parser("publish", help="load the current build into a SPARQL 1.1 store (Graph Store Protocol)")
    p.add_argument("--store", required=True, metavar="URL",
                   help="the store's Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph), "
                        "http://host:3030/ds/data (Fuseki)")
    p.add_argument("--endpoint", metavar="URL",
                   help="the store's SPARQL query URL; with it, graphs of earlier builds that this build no longer "
                        "has are removed")
    p.add_argument("--auth", metavar="USER:PASSWORD", default=os.environ.get("ORETRACE_STORE_AUTH"),
                   help="HTTP basic credentials for the store (default $ORETRACE_STORE_AUTH)")
    return {"publish": cmd_publish}


def cmd_publish(args, settings) -> int:
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
