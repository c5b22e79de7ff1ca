"""One read side: a query backend is the embedded store of a build or any SPARQL 1.1 endpoint, and
`run(text, timeout, cap)` is the one way the command line, the app, the server's own lookups and the
tests run a query.

`run` applies the read-only policy of `oretrace.sparqltext` and sends the store only the policy's
canonical text. `timeout` (seconds) stops the query; `cap` cuts the rows or triples (the result says
`truncated`). Every failure is a `QueryError` whose `status` is the HTTP status the endpoint would give:
400 syntax, 403 refused, 413 too large, 502 unreachable, 503 busy (retry), 504 ran too long.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import socket
import time
import urllib.parse
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path

import pyoxigraph as ox

from . import media, sparqltext
from .query import VIRTUOSO_ASK, Result, term_from_json, term_to_json
from .sparqltext import QueryError, QuerySyntaxError


# the failures of running a query (QuerySyntaxError 400 and QueryRefused 403 come from the policy)
class QueryTimeout(QueryError):
    status = 504  # the query ran past its time limit: retrying it as it is will not help


class Busy(QueryError):
    status = 503  # the store is busy with other queries: retry in a moment


class ResultTooLarge(QueryError):
    status = 413


class Unreachable(QueryError):
    status = 502  # the endpoint cannot be reached, or answered with something that is not a result


class Backend:
    """Runs SPARQL queries; `label` says where (for pages), `endpoint` is the URL of an endpoint backend."""

    label = ""
    endpoint: str | None = None
    manifest: dict = {}

    def run(self, text: str, timeout: float | None = None, cap: int | None = None) -> Result:
        checked = sparqltext.check(text)
        t0 = time.perf_counter()
        res = self._run(checked, timeout, cap)
        res.form, res.seconds = checked.form, time.perf_counter() - t0
        return res

    def _run(self, checked: sparqltext.Checked, timeout: float | None, cap: int | None) -> Result:
        raise NotImplementedError


# ------------------------------------------------------------------ the embedded store
def collect(res, cap: int | None) -> Result:
    """A pyoxigraph query result as a Result, cut at `cap` rows or triples."""
    if isinstance(res, ox.QueryBoolean):
        return Result(boolean=bool(res))
    out = Result()
    if isinstance(res, ox.QuerySolutions):
        out.columns = [v.value for v in res.variables]
        for sol in res:
            if cap is not None and len(out.rows) >= cap:
                out.truncated = True
                break
            out.rows.append([sol[c] for c in out.columns])
        return out
    out.triples = []
    for t in res:
        if cap is not None and len(out.triples) >= cap:
            out.truncated = True
            break
        out.triples.append(t)
    return out


def _store_query(store: ox.Store, text: str, union: bool, cap: int | None) -> Result:
    try:
        return collect(store.query(text, use_default_graph_as_union=union), cap)
    except SyntaxError as e:
        raise QuerySyntaxError(f"SPARQL syntax error: {e}") from None
    except (OSError, RuntimeError, ValueError) as e:
        raise QueryError(f"query failed: {e}") from None


class StoreBackend(Backend):
    """A pyoxigraph store (the default graph is the union of all graphs unless `union=False`).

    With a timeout the query runs in a child process on the store at `path` (read-only), killed at
    the time limit; without one, in this process on `store`.
    """

    def __init__(self, store: ox.Store | None = None, path: Path | None = None, union: bool = True,
                 label: str = "embedded store", manifest: dict | None = None):
        if store is None and path is None:
            raise ValueError("give a store or the path of one")
        self.store, self.path, self.union = store, Path(path) if path else None, union
        self.label, self.manifest = label, manifest or {}

    def _run(self, checked, timeout, cap):
        if timeout is None or self.path is None:
            if self.store is None:
                self.store = ox.Store.read_only(str(self.path))
            return _store_query(self.store, checked.text, self.union, cap)
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_store_worker, args=(str(self.path), checked.text, self.union, cap, child), daemon=True)
        proc.start()
        child.close()
        try:
            if not parent.poll(timeout):
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                                   "add a LIMIT or narrow the patterns")
            data = json.loads(parent.recv())
        except EOFError:
            raise QueryError("the query stopped without an answer (it may have used too much memory)") from None
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(2)
            parent.close()
        if "error" in data:
            raise (QuerySyntaxError if data.get("syntax") else QueryError)(data["error"])
        out = Result(truncated=data.get("truncated", False))
        if "boolean" in data:
            out.boolean = data["boolean"]
        elif "columns" in data:
            out.columns = data["columns"]
            out.rows = [[term_from_json(c) for c in row] for row in data["rows"]]
        else:
            out.triples = list(ox.parse(data["nt"].encode(), format=ox.RdfFormat.N_TRIPLES))
        return out


def _store_worker(path: str, text: str, union: bool, cap: int | None, conn) -> None:
    """Run one query in a child process on a read-only store; send the result back as JSON."""
    try:
        res = _store_query(ox.Store.read_only(path), text, union, cap)
        if res.boolean is not None:
            out = {"boolean": res.boolean}
        elif res.triples is None:
            out = {"columns": res.columns, "rows": [[term_to_json(v) for v in row] for row in res.rows]}
        else:
            out = {"nt": ox.serialize(res.triples, format=ox.RdfFormat.N_TRIPLES).decode()}
        out["truncated"] = res.truncated
        conn.send(json.dumps(out))
    except QueryError as e:
        conn.send(json.dumps({"error": str(e), "syntax": isinstance(e, QuerySyntaxError)}))
    except Exception as e:  # noqa: BLE001 - every failure goes back as words
        conn.send(json.dumps({"error": f"query failed: {type(e).__name__}: {e}"}))
    finally:
        conn.close()


# ------------------------------------------------------------------ a SPARQL 1.1 endpoint
def http_request(url: str, method: str, body: bytes | None, headers: dict, deadline: float,
                 max_bytes: int) -> tuple[int, dict, bytes]:
    """(status, headers with lower-case names, body) of one HTTP request, within the deadline (QueryTimeout)
    and the byte cap (ResultTooLarge); Unreachable when there is no answer. Redirects are not followed."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise Unreachable(f"{url!r} is not an http(s) URL of a SPARQL endpoint")
    left = deadline - time.monotonic()
    if left <= 0:
        raise QueryTimeout("no time left to ask the store")
    cls = HTTPSConnection if u.scheme == "https" else HTTPConnection
    conn = cls(u.hostname, u.port, timeout=left)
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        chunks, size = [], 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout("the store did not finish its answer in time")
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = resp.read1(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ResultTooLarge(f"the answer is larger than {max_bytes >> 20} MiB")
            chunks.append(chunk)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, b"".join(chunks)
    except (socket.timeout, TimeoutError):
        raise QueryTimeout("the store did not answer in time") from None
    except (OSError, HTTPException) as e:
        raise Unreachable(f"the SPARQL endpoint {url} cannot be reached: {e}") from None
    finally:
        conn.close()  # closing an unfinished answer also tells the store to stop writing it


class EndpointBackend(Backend):
    """Any SPARQL 1.1 Protocol endpoint: the query is POSTed as a form, results read as JSON or XML,
    graphs as N-Triples (or Turtle, RDF/XML, JSON-LD)."""

    def __init__(self, url: str, timeout: float = 30.0, max_bytes: int = 64 << 20, label: str | None = None):
        self.url = self.endpoint = url
        self.timeout, self.max_bytes = timeout, max_bytes
        self.label = label or f"SPARQL endpoint {url}"

    def _run(self, checked, timeout, cap):
        t = self.timeout if timeout is None else timeout
        graph = checked.form in ("CONSTRUCT", "DESCRIBE")
        try:
            status, headers, body = http_request(
                self.url, "POST", urllib.parse.urlencode({"query": checked.text}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Accept": media.ACCEPT_GRAPH if graph else media.ACCEPT_RESULTS}, time.monotonic() + t, self.max_bytes)
        except QueryTimeout:
            raise QueryTimeout(f"the SPARQL endpoint {self.url} did not answer within {t:g} s") from None
        if status != 200:
            # a query the store finds malformed is read by the embedded store's parser too, so that the
            # user gets the same message (line, column, what was expected) whichever store answers
            mine = local_syntax_error(checked.text) if status == 400 else None
            raise QuerySyntaxError(mine) if mine else _status_error(self.url, status, headers, body, t)
        ctype = headers.get("content-type", "")
        try:
            if graph:
                fmt = media.rdf_format(ctype)
                if fmt is None:
                    raise Unreachable(f"the SPARQL endpoint {self.url} answered a graph query with {ctype or 'no type'}")
                return collect(ox.parse(body, format=fmt), cap)
            fmt = media.results_format(ctype)
            if fmt is None:
                raise Unreachable(f"the SPARQL endpoint {self.url} answered with {ctype or 'no type'}, not SPARQL results")
            out = (_json_results(body, cap) if fmt == ox.QueryResultsFormat.JSON
                   else collect(ox.parse_query_results(body, format=fmt), cap))
        except (SyntaxError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
            raise Unreachable(f"the SPARQL endpoint {self.url} sent an answer that cannot be read: {e}") from None
        if checked.form == "ASK" and out.columns == [VIRTUOSO_ASK]:  # Virtuoso 7.2 answers ASK as a table
            return Result(boolean=bool(out.rows) and out.rows[0][0] is not None
                          and out.rows[0][0].value not in ("0", "false"))
        return out


def _json_results(body: bytes, cap: int | None) -> Result:
    """SPARQL JSON results read here rather than by pyoxigraph, whose reader refuses blank node labels
    that are not Turtle names (Virtuoso sends nodeID://b10001); term_from_json maps them to valid ones."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
        raise ValueError("no head object")
    if "boolean" in data:
        return Result(boolean=bool(data["boolean"]))
    out = Result()
    out.columns = list(data["head"].get("vars", []))
    for b in data["results"]["bindings"]:
        if cap is not None and len(out.rows) >= cap:
            out.truncated = True
            break
        out.rows.append([term_from_json(b.get(c)) for c in out.columns])
    return out


def local_syntax_error(text: str, seconds: float = 5.0) -> str | None:
    """The embedded store's syntax error for `text`, or None where it reads the query (or does not finish
    within `seconds`). Parsed against an empty store in a child process: an ASK is evaluated as it is
    parsed, and a child can be stopped."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_parse_worker, args=(text, child), daemon=True)
    proc.start()
    child.close()
    try:
        return parent.recv() if parent.poll(seconds) else None
    except EOFError:
        return None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(2)
        parent.close()


def _parse_worker(text: str, conn) -> None:
    try:
        _store_query(ox.Store(), text, True, 0)
        conn.send(None)
    except QuerySyntaxError as e:
        conn.send(str(e))
    except Exception:  # noqa: BLE001 - only the parser's verdict is wanted here
        conn.send(None)
    finally:
        conn.close()


def _status_error(url: str, status: int, headers: dict, body: bytes, timeout: float) -> QueryError:
    text = body.decode("utf-8", errors="replace").strip()[:2000]
    if status == 400:
        return QuerySyntaxError(text or f"the SPARQL endpoint {url} refused the query as malformed")
    if status == 403:
        return sparqltext.QueryRefused(text or f"the SPARQL endpoint {url} refused the query")
    if status == 413:
        return ResultTooLarge(text or f"the SPARQL endpoint {url} says the result is too large")
    if status == 503 and "retry-after" in headers:
        return Busy(text or f"the SPARQL endpoint {url} is busy; retry in a moment")
    if status in (503, 504) and ("time" in text.lower() or status == 504):
        return QueryTimeout(text or f"the query ran longer than the endpoint allows ({timeout:g} s here)")
    if 300 <= status < 400:
        return Unreachable(f"the SPARQL endpoint {url} redirects ({status}); give the URL it answers at")
    return Unreachable(f"the SPARQL endpoint {url} answered {status}: {text[:300]}")


# ------------------------------------------------------------------ for a project
def for_settings(settings, endpoint: str | None = None, timeout: float = 30.0) -> Backend:
    """The SPARQL endpoint at `endpoint`, or the embedded store of the last build (store.NoBuildError if none)."""
    if endpoint:
        return EndpointBackend(endpoint, timeout=timeout)
    from . import store

    release = store.current_release(settings)
    return StoreBackend(store.open_store(settings), release / "store", label="embedded store of the last build",
                        manifest=store.manifest(settings))
