"""Checks across files, once everything is read: references, citations, flows and deprecations."""

from __future__ import annotations

from .. import reference
from ..vocab import CODE
from . import format as fmt


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def references(r) -> None:
    """Every reference names a declared entity, a known country or region, of the expected kind."""
    for ref, f, line, sid, expected in r.references:
        m = fmt.REF.fullmatch(ref)
        if not m:
            r.problem(f, line, sid, f"bad reference {ref!r} (write kind/slug)")
            continue
        kind, slug = m.group("kind"), m.group("slug")
        if kind == "country":
            if not CODE.fullmatch(slug) or "-" in slug or reference.country(slug) is None:
                r.problem(f, line, sid, f"unknown country {ref!r} (use an ISO 3166-1 alpha-2 code such as country/BO)")
            else:
                r.codes.setdefault(ref, (f, line, sid))
            continue
        if kind == "region":
            if not CODE.fullmatch(slug) or reference.subdivision(slug) is None:
                r.problem(f, line, sid, f"unknown region {ref!r} (use an ISO 3166-2 code such as region/BO-O)")
            else:
                r.codes.setdefault(ref, (f, line, sid))
                r.codes.setdefault("country/" + slug.split("-")[0], (f, line, sid))
            continue
        if ref not in r.entities:
            r.problem(f, line, sid, f"unknown entity {ref!r} (declare it with id + a in data/entities/ or a source file)")
            continue
        if expected and kind != "source":
            types = r.entity_types.get(ref, [])
            if types and not any(r.onto.is_a(t, expected) for t in types):
                r.problem(f, line, sid, f"{ref} is not a {_local(expected)} (refer to an entity of that kind)")
        if ref in r.deprecated and ref not in _about_refs(r, sid):
            replaced = r.deprecated[ref][0]
            r.problem(f, line, sid, f"{ref} is deprecated (" + (f"use {replaced} instead)" if replaced else
                                                                 "it was withdrawn; refer to another entity)"))


def _about_refs(r, sid: str) -> set[str]:
    """The entities a statement deprecates: it may name them."""
    return {ref for ref, (_, _, _, dsid) in r.deprecated.items() if dsid == sid}


def citations(r) -> None:
    """Cited sources exist; no source cites itself, directly or round a cycle."""
    for c, f, line, sid in r.pending_cites:
        if c not in r.sources:
            r.problem(f, line, sid, f"cites unknown source {c!r} (list it under cited_sources in the citing document)")
    for src, cited in r.source_cites.items():
        for c, f, line in cited:
            if c == src:
                r.problem(f, line, src, f"source {src!r} cites itself (remove it from its own cites)")
    # cycles: a source reached again by following cites from itself (each cycle reported once)
    graph = {s: sorted({c for c, _, _ in cs if c != s}) for s, cs in r.source_cites.items()}
    reported: set[frozenset] = set()
    for start in sorted(graph):
        stack, path, on_path = [(start, iter(graph.get(start, ())))], [start], {start}
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                cycle = path[path.index(nxt):]
                key = frozenset(cycle)
                if key not in reported and nxt == start:
                    reported.add(key)
                    f, line = next((f, line) for c, f, line in r.source_cites[node] if c == nxt)
                    r.problem(f, line, node, "citation cycle: " + " cites ".join(cycle + [nxt]) +
                              " (a source cannot, through others, cite itself; remove one of these cites)")
                continue
            if nxt in graph:
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)
                on_path.add(nxt)


def flows(r) -> None:
    """No flow runs from a place to itself (domestic use is an observation, see docs/modelling.md)."""
    for flow, ends in r.flow_ends.items():
        origins = {v for role, v, *_ in ends if role == "origin"}
        for role, v, f, line, sid in ends:
            if role == "destination" and v in origins:
                short = v.split("/id/", 1)[-1]
                r.problem(f, line, sid, f"flow goes from {short} to itself (state use inside a country as a DomesticUse "
                                        "observation, or name the sites it moves between)")


def deprecations(r) -> None:
    """A replacement exists and is not itself deprecated; replacement chains have no cycles."""
    for ref, (replaced, f, line, sid) in sorted(r.deprecated.items()):
        if not replaced:
            continue
        if replaced == ref:
            r.problem(f, line, sid, f"{ref} is replaced by itself (name the entity that replaces it)")
        elif replaced not in r.entities and not replaced.startswith(("country/", "region/")):
            r.problem(f, line, sid, f"{ref} is replaced by unknown entity {replaced!r} (declare the replacement)")
        elif replaced in r.deprecated:
            r.problem(f, line, sid, f"{ref} is replaced by {replaced}, which is deprecated too (point to the entity in use)")
    if r.deprecated:
        for ref in r.deprecated:
            if ref not in r.entities:
                f, line, sid = r.deprecated[ref][1:]
                r.problem(f, line, sid, f"{ref} is deprecated but never declared (declare it with id + a, then deprecate it)")
