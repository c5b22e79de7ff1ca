"""Turn checked curated statements into RDF quads: the second stage of the data path.

Each statement's triples go into its own named graph `{base}/id/statement/{id}`; what is known
about that graph (document, locator, cited sources, curator, date, confidence, paraphrase,
file and line) goes into `{base}/graph/provenance`, with the descriptions of the sources.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from .curated import Curation, Lit, Node, Statement
from .vocab import DCTERMS, OT, PROV, RDF, XSD, IRIs

_A = ox.NamedNode(RDF + "type")


def term(v) -> ox.NamedNode | ox.Literal:
    """An RDF term for a curated value (IRI string or Lit)."""
    if isinstance(v, Lit):
        if v.lang:
            return ox.Literal(v.value, language=v.lang)
        return ox.Literal(v.value, datatype=ox.NamedNode(v.datatype))
    return ox.NamedNode(v)


def node_quads(node: Node, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    s = ox.NamedNode(node.iri)
    for t in node.types:
        yield ox.Quad(s, _A, ox.NamedNode(t), graph)
    for p, v in node.values:
        yield ox.Quad(s, ox.NamedNode(p), term(v), graph)


def locator_text(locator: dict[str, str]) -> str:
    """A readable locator such as "section 'Export of indium', figure 11"."""
    parts = []
    for k, v in locator.items():
        parts.append(f"{k} '{v}'" if k == "section" else f"{k} {v}")
    return ", ".join(parts)


def statement_quads(st: Statement, iris: IRIs) -> Iterator[ox.Quad]:
    g = ox.NamedNode(iris.statement(st.id))
    for node in st.nodes:
        yield from node_quads(node, g)
    pg = ox.NamedNode(iris.provenance_graph)
    cit = ox.NamedNode(iris.citation(st.id))
    doc = ox.NamedNode(iris.entity("source", st.source))
    lit = ox.Literal
    yield ox.Quad(g, _A, ox.NamedNode(OT + "Statement"), pg)
    yield ox.Quad(g, ox.NamedNode(DCTERMS + "identifier"), lit(st.id), pg)
    yield ox.Quad(g, ox.NamedNode(PROV + "wasDerivedFrom"), doc, pg)
    yield ox.Quad(g, ox.NamedNode(OT + "citation"), cit, pg)
    yield ox.Quad(cit, _A, ox.NamedNode(OT + "Citation"), pg)
    yield ox.Quad(cit, ox.NamedNode(OT + "document"), doc, pg)
    for k, v in st.locator.items():
        yield ox.Quad(cit, ox.NamedNode(OT + k), lit(v), pg)
    yield ox.Quad(cit, ox.NamedNode(OT + "locatorText"), lit(locator_text(st.locator)), pg)
    for c in st.cites:
        yield ox.Quad(g, ox.NamedNode(OT + "citesSource"), ox.NamedNode(iris.entity("source", c)), pg)
    yield ox.Quad(g, ox.NamedNode(PROV + "wasAttributedTo"), ox.NamedNode(iris.ref(st.curator)), pg)
    yield ox.Quad(g, ox.NamedNode(DCTERMS + "created"), lit(st.curated_on, datatype=ox.NamedNode(XSD + "date")), pg)
    yield ox.Quad(g, ox.NamedNode(OT + "confidence"), ox.NamedNode(st.confidence), pg)
    if st.says:
        yield ox.Quad(g, ox.NamedNode(OT + "paraphrase"), lit(st.says, language="en"), pg)
    yield ox.Quad(g, ox.NamedNode(OT + "curatedFile"), lit(st.file), pg)
    yield ox.Quad(g, ox.NamedNode(OT + "curatedLine"), lit(str(st.line), datatype=ox.NamedNode(XSD + "integer")), pg)
    for about in sorted({n.iri for n in st.nodes}):
        yield ox.Quad(g, ox.NamedNode(OT + "about"), ox.NamedNode(about), pg)


def curation_quads(cur: Curation, iris: IRIs) -> Iterator[ox.Quad]:
    """All quads of the curated data: statement graphs, provenance and source descriptions."""
    pg = ox.NamedNode(iris.provenance_graph)
    for sid in sorted(cur.sources):
        src = cur.sources[sid]
        yield from node_quads(src.node, pg)
        s = ox.NamedNode(src.node.iri)
        yield ox.Quad(s, ox.NamedNode(OT + "curatedFile"), ox.Literal(src.file), pg)
        yield ox.Quad(s, ox.NamedNode(OT + "curatedLine"), ox.Literal(str(src.line), datatype=ox.NamedNode(XSD + "integer")), pg)
        if src.described_by and src.locator:
            cit = ox.NamedNode(src.node.iri + "#citation")
            yield ox.Quad(ox.NamedNode(src.node.iri), ox.NamedNode(OT + "citation"), cit, pg)
            yield ox.Quad(cit, _A, ox.NamedNode(OT + "Citation"), pg)
            yield ox.Quad(cit, ox.NamedNode(OT + "document"), ox.NamedNode(iris.entity("source", src.described_by)), pg)
            for k, v in src.locator.items():
                yield ox.Quad(cit, ox.NamedNode(OT + k), ox.Literal(v), pg)
            yield ox.Quad(cit, ox.NamedNode(OT + "locatorText"), ox.Literal(locator_text(src.locator)), pg)
    for st in cur.statements:
        yield from statement_quads(st, iris)


def ontology_quads(nquads_text: str, iris: IRIs) -> list[ox.Quad]:
    """The ontology's triples placed in `{base}/graph/ontology`."""
    g = ox.NamedNode(iris.ontology_graph)
    return [ox.Quad(t.subject, t.predicate, t.object, g)
            for t in ox.parse(nquads_text, format=ox.RdfFormat.N_TRIPLES)]


