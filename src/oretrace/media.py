"""Media types, in one table: RDF formats, SPARQL result formats, their aliases and `?format=` names,
and content negotiation. Used by the server, the linked-data pages, the endpoint client and the dumps."""

from __future__ import annotations

import pyoxigraph as ox

from .vocab import PREFIXES

# media type -> pyoxigraph RDF format
RDF = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
# other names clients send for them
RDF_ALIASES = {"application/x-turtle": "text/turtle", "text/n3": "text/turtle", "text/plain": "application/n-triples",
               "application/json": "application/ld+json", "application/xml": "application/rdf+xml"}
# media type -> pyoxigraph SPARQL results format
RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RESULT_ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
# ?format= short names of the linked-data pages
FORMAT_NAMES = {"html": "text/html", "ttl": "text/turtle", "turtle": "text/turtle", "jsonld": "application/ld+json",
                "json": "application/ld+json", "nt": "application/n-triples", "trig": "application/trig",
                "nq": "application/n-quads", "rdf": "application/rdf+xml", "xml": "application/rdf+xml"}
# the dumps of a build: file name -> format (dataset.nq is always written, the others up to a size)
DUMPS = {
    "dataset.trig": ox.RdfFormat.TRIG,
    "dataset.nq": ox.RdfFormat.N_QUADS,
    "default.ttl": ox.RdfFormat.TURTLE,
    "default.jsonld": ox.RdfFormat.JSON_LD,
}
HTML = "text/html"
PAGE = [HTML, *RDF]  # what an entity IRI dereferences to
# what the endpoint client asks a SPARQL server for
ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5, application/ld+json;q=0.4"


def base_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower case, without parameters."""
    return (content_type or "").split(";")[0].strip().lower()


def content_type(media: str) -> str:
    """The Content-Type header for a media type (UTF-8 stated for text types)."""
    return media + "; charset=utf-8" if media.startswith("text/") else media


def rdf_format(media: str | None) -> ox.RdfFormat | None:
    m = base_type(media)
    return RDF.get(RDF_ALIASES.get(m, m))


def results_format(media: str | None) -> ox.QueryResultsFormat | None:
    m = base_type(media)
    return RESULTS.get(RESULT_ALIASES.get(m, m))


def prefixes_for(fmt: ox.RdfFormat) -> dict | None:
    """The standard prefixes for formats that abbreviate IRIs with them (Turtle, TriG)."""
    return PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None


def negotiate(accept: str | None, offers: list[str], default: str | None = None,
              aliases: dict[str, str] | None = None) -> str | None:
    """The offered media type the Accept header prefers (q-values, wildcards); `default` for none or */*."""
    if not accept or not accept.strip():
        return default or offers[0]
    aliases = RDF_ALIASES if aliases is None else aliases
    best, best_q, best_spec = None, 0.0, -1
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        mt = aliases.get(mt, mt)
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if not q > 0:
            continue
        if mt in ("*/*", "*"):
            cands, spec = [default or offers[0]], 0
        elif mt.endswith("/*"):
            cands, spec = [o for o in offers if o.startswith(mt[:-1])], 1
        else:
            cands, spec = [o for o in offers if o == mt], 2
        for c in cands[:1]:
            if q > best_q or (q == best_q and spec > best_spec):
                best, best_q, best_spec = c, q, spec
    return best
