"""The reference engine: pySHACL over an rdflib copy of the data, results mapped back to
pyoxigraph terms (blank-node identifiers are kept, so both engines' results compare directly)."""

from __future__ import annotations

import pyoxigraph as ox

from .model import RDF, VIOLATION, Graph, Report, Result, ShapesError, path_sparql, sh


def _to_rdflib(t):
    import rdflib

    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value), normalize=False)


def _to_ox(t):
    import rdflib

    if t is None:
        return None
    if isinstance(t, rdflib.URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, rdflib.BNode):
        return ox.BlankNode(str(t))
    if t.language:
        return ox.Literal(str(t), language=t.language)
    dt = t.datatype or rdflib.URIRef("http://www.w3.org/2001/XMLSchema#string")
    return ox.Literal(str(t), datatype=ox.NamedNode(str(dt)))


def rdflib_graph(triples):
    import rdflib

    g = rdflib.Graph()
    for t in triples:
        g.add((_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)))
    return g


class PyshaclEngine:
    """Validate with pySHACL (SHACL Core and SHACL-SPARQL, no inference)."""

    name = "pyshacl"

    def __init__(self, data_triples, shapes_triples):
        self.data_triples, self.shapes_triples = list(data_triples), list(shapes_triples)

    def validate(self) -> Report:
        import pyshacl
        from pyshacl import errors

        data = rdflib_graph(self.data_triples)
        shapes = rdflib_graph(self.shapes_triples)
        try:
            _, results_graph, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                                   abort_on_first=False, inplace=True)
        except (errors.ShapeLoadError, errors.ConstraintLoadError, errors.ReportableRuntimeError) as e:
            raise ShapesError(" ".join(str(getattr(e, "message", e)).split())) from None
        triples = [ox.Triple(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in results_graph]
        g = Graph(triples)
        shapes = Graph(self.shapes_triples)
        out = []
        report = g.subjects(ox.NamedNode(RDF + "type"), sh("ValidationReport"))
        for r in (g.objects(report[0], sh("result")) if report else []):  # not the nested sh:detail results
            shape = g.value(r, sh("sourceShape"))
            path = g.value(r, sh("resultPath"))
            shape_path = shapes.value(shape, sh("path"))
            if path is not None and not isinstance(path, ox.NamedNode) and shape_path is not None:
                path, path_text = shape_path, path_sparql(shapes, shape_path)
            else:
                path_text = path_sparql(g, path) if path is not None else None
            component = g.value(r, sh("sourceConstraintComponent"))
            messages = sorted(g.objects(r, sh("resultMessage")), key=str)
            if component == sh("SPARQLConstraintComponent") and len(messages) > 1:
                # pySHACL adds the shape's own sh:message to the constraint's; SHACL takes the
                # constraint's messages when it has any
                own = {m.value for m in shapes.objects(shape, sh("message"))}
                messages = [m for m in messages if m.value not in own] or messages
            out.append(Result(
                focus=g.value(r, sh("focusNode")), shape=shape,
                component=component,
                severity=g.value(r, sh("resultSeverity"), VIOLATION), path=path,
                path_text=path_text,
                value=g.value(r, sh("value")), messages=tuple(messages),
                constraint=g.value(r, sh("sourceConstraint"))))
        return Report(out, self.name)
