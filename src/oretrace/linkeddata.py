"""Linked data: what an entity, statement or graph IRI dereferences to, in the format a client asks for.

An entity's description is a set of quads: every triple with the entity as subject or object
(in the statement graph that asserts it), the provenance of those statement graphs (document,
locator, cited sources, paraphrase) and the labels of the neighbours. Dataset formats (TriG,
N-Quads, JSON-LD) keep the statement graphs; triple formats (Turtle, N-Triples, RDF/XML) merge
them, and the statements stay linked to the entity through `ot:about`. People get an HTML page.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

import pyoxigraph as ox

from . import media, reference, sparqltext
from .vocab import DCTERMS, OT, OWL, PROV, RDF, RDFS, SKOS, IRIs

HS_NOMENCLATURE = "https://datahub.io/core/harmonized-system"


# ------------------------------------------------------------------ descriptions
def _iri(s: str) -> str:
    try:
        return sparqltext.iri(s)
    except ValueError:
        raise ValueError(f"not a usable IRI: {s[:200]!r}") from None


def describe_query(iri: str, iris: IRIs, limit: int) -> str:
    """SELECT ?g ?s ?p ?o: the entity's quads, the provenance of its statement graphs, neighbour labels.

    One text for every store: Virtuoso 7.2's compiler fails (SP031) on a FILTER beside a BIND of a
    constant in one branch of this UNION, so the labels of the entity's objects bind ?p by VALUES; and it
    returns nothing from a UNION with a branch that is only a VALUES block, so a statement names itself by BIND."""
    e, prov = _iri(iri), _iri(iris.provenance_graph)
    own = f"UNION {{ BIND({e} AS ?st) }}" if iris.split(iri) and iris.split(iri)[0] == "statement" else ""
    graph_body = (f"UNION {{ GRAPH {e} {{ ?s ?p ?o }} BIND({e} AS ?g) }}"
                  if own else "")
    return f"""PREFIX ot: <{OT}>
PREFIX prov: <{PROV}>
PREFIX dcterms: <{DCTERMS}>
PREFIX rdfs: <{RDFS}>
PREFIX rdf: <{RDF}>
SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ {e} ?p ?o }} BIND({e} AS ?s) }}
  UNION {{ GRAPH ?g {{ ?s ?p {e} }} BIND({e} AS ?o) }}
  {graph_body}
  UNION {{
    {{ SELECT DISTINCT ?st WHERE {{ {{ GRAPH ?st {{ {e} ?x ?y }} }} UNION {{ GRAPH ?st {{ ?y ?x {e} }} }} {own} }} }}
    GRAPH {prov} {{
      {{ ?st ?p ?o BIND(?st AS ?s) }}
      UNION {{ ?st ot:citation ?s . ?s ?p ?o }}
      UNION {{ ?st prov:wasDerivedFrom|ot:citesSource ?s . ?s ?p ?o FILTER(?p IN (dcterms:title, ot:citedAs, rdf:type)) }}
    }}
    BIND({prov} AS ?g)
  }}
  UNION {{ GRAPH ?g0 {{ {e} ?x ?s }} GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ rdfs:label }} FILTER(isIRI(?s)) }}
  UNION {{ GRAPH ?g0 {{ ?s ?x {e} }} GRAPH ?g {{ ?s rdfs:label ?o }} BIND(rdfs:label AS ?p) }}
  UNION {{ GRAPH ?g0 {{ {e} ?s ?y }} GRAPH ?g {{ ?s rdfs:label ?o }} BIND(rdfs:label AS ?p) }}
}} LIMIT {limit}"""


def graph_query(graph: str, limit: int) -> str:
    return f"SELECT ?s ?p ?o WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }} LIMIT {limit}"


def rows_to_quads(rows: Iterable[dict], graph: str | None = None) -> list[ox.Quad]:
    out = []
    for r in rows:
        g = ox.NamedNode(graph) if graph else r.get("g")
        s, p, o = r.get("s"), r.get("p"), r.get("o")
        if s is None or p is None or o is None or g is None:
            continue
        out.append(ox.Quad(s, p, o, g))
    return sorted(set(out), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def outlinks(iri: str, quads: list[ox.Quad]) -> list[ox.Triple]:
    """Links to outside identifiers that a shipped reference confirms (ISO 3166 via pycountry, HS codes)."""
    e = ox.NamedNode(iri)
    out = []
    for q in quads:
        if q.subject != e or not isinstance(q.object, ox.Literal):
            continue
        if q.predicate.value == OT + "iso3166Code":
            code = q.object.value
            if reference.country(code) or reference.subdivision(code):
                out.append(ox.Triple(e, ox.NamedNode(RDFS + "seeAlso"),
                                     ox.NamedNode(f"https://www.iso.org/obp/ui/#iso:code:3166:{code.split('-')[0]}")))
        elif q.predicate.value == OT + "commodityCode" and q.object.value in reference.hs_codes():
            code = q.object.value
            # HS codes have no per-code IRI; point at the published nomenclature the code was checked against
            out.append(ox.Triple(e, ox.NamedNode(SKOS + "notation"), ox.Literal(f"HS {code[:4]}.{code[4:]}")))
            out.append(ox.Triple(e, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode(HS_NOMENCLATURE)))
    return out


def for_triples(iri: str | None, quads: list[ox.Quad], iris: IRIs) -> list[ox.Triple]:
    """The description as plain triples: ontology-graph triples kept only about the entity itself."""
    onto = iris.ontology_graph
    keep = {ox.Triple(q.subject, q.predicate, q.object) for q in quads
            if not (q.graph_name.value == onto and (iri is None or q.subject.value != iri))}
    return sorted(keep, key=str)


def serialize(iri: str | None, quads: list[ox.Quad], media_type: str, iris: IRIs) -> bytes:
    fmt = media.RDF[media_type]
    extra = outlinks(iri, quads) if iri else []
    if fmt.supports_datasets:
        data = list(quads) + [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in extra]
    else:
        data = for_triples(iri, quads, iris) + extra
    return ox.serialize(data, format=fmt, prefixes=media.prefixes_for(fmt))


# ------------------------------------------------------------------ HTML
CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:72em;margin:1.5em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f4f4f4}code{font-size:90%}.muted{color:#666;font-size:90%}
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}"""


def web_link(url: str) -> bool:
    """Whether a URL may become a link on a page: http(s) with a host, nothing else (no javascript:, data:, ...)."""
    try:
        u = urlsplit(url)
    except ValueError:
        return False
    return u.scheme.lower() in ("http", "https") and bool(u.netloc) and url.isprintable()


def anchor(url: str, text: str, title: str | None = None) -> str:
    """An HTML link for an http(s) URL; anything else is shown as text."""
    if not web_link(url):
        return f'<span title="{html.escape(title or url)}">{html.escape(text)}</span>'
    t = f' title="{html.escape(title)}"' if title else ""
    return f'<a href="{html.escape(url)}"{t}>{html.escape(text)}</a>'


class _Page:
    def __init__(self, iri: str | None, quads: list[ox.Quad], iris: IRIs):
        self.iri, self.quads, self.iris = iri, quads, iris
        self.labels: dict[str, str] = {}
        for q in quads:
            if q.predicate.value == RDFS + "label" and isinstance(q.object, ox.Literal):
                if q.subject.value not in self.labels or q.object.language == "en":
                    self.labels[q.subject.value] = q.object.value

    def term(self, t) -> str:
        if isinstance(t, ox.NamedNode):
            v = t.value
            return anchor(v, self.labels.get(v) or sparqltext.shorten(v, self.iris.base), v)
        if isinstance(t, ox.Literal):
            s = html.escape(t.value)
            if t.language:
                return s
            dt = t.datatype.value if t.datatype else ""
            if dt and not dt.endswith("#string"):
                return f'{s} <span class="muted">({html.escape(dt.rsplit("#", 1)[-1])})</span>'
            return s
        return html.escape(str(t))


def render_html(iri: str, quads: list[ox.Quad], iris: IRIs, formats: dict[str, str], withdrawn: bool = False) -> str:
    """A page for people: what the graph says about the entity, statement by statement, with sources.

    Links are made from the IRIs themselves (the configured base) and only for http(s) IRIs."""
    pg = _Page(iri, quads, iris)
    base = iris.base
    prov, inferred, onto = iris.provenance_graph, iris.inferred_graph, iris.ontology_graph
    e = ox.NamedNode(iri)
    by_graph: dict[str, dict] = defaultdict(dict)
    about: dict[str, list[tuple]] = defaultdict(list)
    incoming: dict[str, list[tuple]] = defaultdict(list)
    inferred_types = []
    for q in quads:
        g = q.graph_name.value
        if g == prov and q.subject.value.startswith(iris.base + "/id/statement/") and q.subject != e:
            by_graph[q.subject.value].setdefault(q.predicate.value, []).append(q.object)
        elif g == inferred and q.subject == e:
            inferred_types.append(q.object)
        elif q.subject == e and g != onto:
            about[g].append((q.predicate, q.object))
        elif q.object == e and g != onto:
            incoming[g].append((q.subject, q.predicate))
    details: dict[str, dict] = defaultdict(dict)
    for q in quads:
        if q.graph_name.value == prov:
            details[q.subject.value].setdefault(q.predicate.value, []).append(q.object)

    def provenance(g: str) -> str:
        info = by_graph.get(g, {})
        if not info:
            return '<span class="muted">' + html.escape("(graph " + g + ")") + "</span>"
        parts = []
        sid = g[len(iris.base + "/id/statement/"):]
        parts.append(f"<code>{anchor(g, sid)}</code>")
        for doc in info.get(PROV + "wasDerivedFrom", []):
            title = details.get(doc.value, {}).get(DCTERMS + "title", [None])[0]
            parts.append("source: " + anchor(doc.value, title.value if title else doc.value))
        for cit in info.get(OT + "citation", []):
            loc = details.get(cit.value, {}).get(OT + "locatorText", [None])[0]
            if loc:
                parts.append("at " + html.escape(loc.value))
        for c in info.get(OT + "citesSource", []):
            d = details.get(c.value, {})
            name = (d.get(OT + "citedAs") or d.get(DCTERMS + "title") or [ox.Literal(c.value)])[0].value
            parts.append("citing " + anchor(c.value, name))
        for conf in info.get(OT + "confidence", []):
            if conf.value != OT + "Stated":
                parts.append(html.escape(conf.value.rsplit("#", 1)[-1].lower()))
        para = info.get(OT + "paraphrase", [None])[0]
        out = "<br>".join(parts)
        if para:
            out += f'<br><span class="muted">“{html.escape(para.value)}”</span>'
        return out

    label = pg.labels.get(iri) or iri.rsplit("/", 1)[-1]
    alt = " · ".join(anchor(u, n) for n, u in formats.items())
    h = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(label)} · oretrace</title>",
         f"<style>{CSS}</style>"]
    for n, u in formats.items():
        if web_link(u):
            h.append(f'<link rel="alternate" type="{html.escape(media.FORMAT_NAMES.get(n, n))}" href="{html.escape(u)}">')
    h.append("</head><body>")
    h.append(f'<p class="muted">{anchor(base + "/", "oretrace")} · linked data</p>')
    h.append(f"<h1>{html.escape(label)}</h1><p><code>{html.escape(iri)}</code></p><p class=muted>also as {alt}</p>")
    if withdrawn:  # (a deprecated IRI with a replacement is answered with a redirect, not a page)
        h.append("<p role=note><strong>Deprecated.</strong> Withdrawn: it was a mistake and nothing replaces it. "
                 "What the graph said about it stays below.</p>")
    if inferred_types:
        h.append('<p>Classified by the reasoner as: ' + ", ".join(pg.term(t) for t in sorted(inferred_types, key=str)) + "</p>")
    if about:
        h.append("<h2>Statements about it</h2><table><tr><th>property</th><th>value</th><th>said by</th></tr>")
        for g in sorted(about):
            rows = sorted(about[g], key=lambda pv: (pv[0].value != RDF + "type", str(pv[0]), str(pv[1])))
            for i, (p, o) in enumerate(rows):
                cell = f'<td rowspan="{len(rows)}">{provenance(g)}</td>' if i == 0 else ""
                h.append(f"<tr><td>{pg.term(p)}</td><td>{pg.term(o)}</td>{cell}</tr>")
        h.append("</table>")
    links = outlinks(iri, quads)
    if links:
        h.append("<h2>Elsewhere</h2><ul>" + "".join(
            f"<li>{pg.term(t.predicate)} {pg.term(t.object)} <span class=muted>(confirmed by a shipped code list)</span></li>"
            for t in links) + "</ul>")
    if incoming:
        h.append("<h2>Referred to by</h2><table><tr><th>subject</th><th>property</th><th>said by</th></tr>")
        for g in sorted(incoming):
            rows = sorted(incoming[g], key=str)
            for i, (s, p) in enumerate(rows):
                cell = f'<td rowspan="{len(rows)}">{provenance(g)}</td>' if i == 0 else ""
                h.append(f"<tr><td>{pg.term(s)}</td><td>{pg.term(p)}</td>{cell}</tr>")
        h.append("</table>")
    stmt = iris.split(iri)
    if stmt and stmt[0] == "statement":
        own = [q for q in quads if q.graph_name == e]
        h.append("<h2>Triples in this statement graph</h2><table><tr><th>subject</th><th>property</th><th>value</th></tr>")
        h += [f"<tr><td>{pg.term(q.subject)}</td><td>{pg.term(q.predicate)}</td><td>{pg.term(q.object)}</td></tr>"
              for q in own]
        h.append("</table><h2>Provenance</h2><p>" + provenance(iri) + "</p>")
    h.append(f'<p class="muted">Data CC BY 4.0 · {anchor(base + "/sparql", "SPARQL endpoint")} · '
             f'{anchor(base + "/.well-known/void", "dataset description")}</p></body></html>')
    return "\n".join(h)


def deprecation(iri: str, quads: list[ox.Quad]) -> tuple[bool, str | None]:
    """(deprecated, replacement): whether the graph marks `iri` owl:deprecated, and the http(s) IRI it
    names with dcterms:isReplacedBy (None for a withdrawn IRI). The life of an IRI (docs/modelling.md):
    a deprecated IRI with a replacement answers with a redirect, a withdrawn one with 410 Gone."""
    e = ox.NamedNode(iri)
    deprecated = any(q.subject == e and q.predicate.value == OWL + "deprecated" and isinstance(q.object, ox.Literal)
                     and q.object.value in ("true", "1") for q in quads)
    if not deprecated:
        return False, None
    for q in quads:
        if q.subject == e and q.predicate.value == DCTERMS + "isReplacedBy" and isinstance(q.object, ox.NamedNode) \
                and web_link(q.object.value) and q.object.value != iri:
            return True, q.object.value
    return True, None


def render_moved(iri: str, replacement: str, iris: IRIs) -> str:
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>deprecated · oretrace</title></head><body>"
            f"<h1>This IRI is deprecated</h1><p><code>{html.escape(iri)}</code></p>"
            f"<p>It was merged into, or corrected by, {anchor(replacement, replacement)}. The old IRI keeps "
            f"answering with this redirect; it will never name anything else.</p>"
            f'<p>{anchor(iris.base + "/", "oretrace")}</p></body></html>')


def render_not_found(iri: str, iris: IRIs) -> str:
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>not found · oretrace</title></head><body>"
            f"<h1>Nothing is known about this IRI</h1><p><code>{html.escape(iri)}</code></p>"
            f"<p>The graph holds no statement about it. oretrace never reuses an IRI for another thing, so an IRI "
            f"that once answered may be deprecated, but will not change meaning.</p>"
            f'<p>{anchor(iris.base + "/", "oretrace")}</p></body></html>')
