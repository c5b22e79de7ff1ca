"""Entity pages: search by name; every fact of an actor, site, material, flow or source with its citation."""

from __future__ import annotations

from collections import defaultdict

import streamlit as st

import ui
from oretrace.appdata import FACT_KINDS, is_iri
from oretrace.vocab import OT, RDF, RDFS


def search_box(g) -> None:
    q = st.text_input("Search by name", value=st.query_params.get("q", ""), key="entity_search",
                      placeholder="e.g. Auby, Trafigura, indium, Arica")
    if q:
        st.query_params["q"] = q
        hits = g.search(q)
        if not hits:
            st.info(ui.md(f"Nothing in the graph is named like “{q}”."))
            return
        labels = g.labels([h["type"] for h in hits if h["type"]])
        ui.show("<ul>" + "".join(f"<li>{ui.link(h['x'], h['label'])} <span class=\"ot-badge\">"
                                 f"{ui.esc(labels.get(h['type'], '') if h['type'] else '')}</span></li>" for h in hits) + "</ul>")


def render() -> None:
    g = ui.graph()
    iri = st.query_params.get("iri")
    if not iri:
        ui.header("Entities", "Find an actor, site, material, flow or source, and read every fact with its source.")
        search_box(g)
        return
    if not is_iri(iri) or any(c in iri for c in "<>\"{}|\\^` "):
        st.error("The iri parameter is not an IRI.")
        return
    if not g.exists(iri):
        ui.header("Not in the graph")
        st.warning(ui.md(f"The graph says nothing about {iri}."))
        search_box(g)
        return
    facts = g.facts(iri)
    names = {iri} | {f["p"] for f in facts} | {f["o"] for f in facts if is_iri(f["o"])} | \
            {x for f in facts for x in [f["doc"], *f["cited"]] if x}
    labels = g.labels(names)
    labels.update({RDF + "type": "is a", RDFS + "label": "name"})  # plain words in the property column
    ui.header(labels[iri])
    asserted = sorted({f["o"] for f in facts if f["dir"] == "out" and f["p"] == RDF + "type" and not f["inferred"]})
    inferred = sorted({f["o"] for f in facts if f["dir"] == "out" and f["p"] == RDF + "type" and f["inferred"]} - set(asserted))
    badges = "".join(f'<span class="ot-badge">{ui.link(t, labels.get(t))}</span>' for t in asserted)
    badges += "".join(f'<span class="ot-badge ot-inferred" title="inferred">{ui.link(t, labels.get(t))} (inferred)</span>'
                      for t in inferred)
    ui.show(f"<p><code>{ui.esc(iri)}</code></p><p>{badges}</p>"
            f'<p class="ot-muted">Share this page: <code>{ui.esc(ui.entity_href(iri))}</code></p>')
    d1, d2, _ = st.columns([1, 1, 4])
    slug = g.short(iri).replace("/", "-").replace(":", "-")
    d1.download_button("Turtle", g.describe(iri, "ttl"), file_name=f"{slug}.ttl", mime="text/turtle", key="dl_ttl")
    d2.download_button("JSON-LD", g.describe(iri, "jsonld"), file_name=f"{slug}.jsonld", mime="application/ld+json",
                       key="dl_jsonld")

    if g.iris.split(iri) and g.iris.split(iri)[0] == "statement":
        statement_view(g, iri)

    out = [f for f in facts if f["dir"] == "out"]
    by_kind = defaultdict(list)
    for f in out:
        by_kind[f["kind"]].append(f)
    for kind in [k for k, _ in FACT_KINDS] + ["Other facts"]:
        rows = by_kind.get(kind)
        if not rows:
            continue
        st.subheader(kind)
        rows.sort(key=lambda f: (labels.get(f["p"], f["p"]), f["inferred"], str(f["o"])))
        ui.show(ui.table(["property", "value", "who says so"],
                         [[ui.value_html(g, f["p"], labels), ui.value_html(g, f["o"], labels),
                           ui.citation_html(g, f, labels)] for f in rows]))

    conflicts = g.conflicts(facts)
    if conflicts:
        st.subheader("Sources disagree")
        for c in conflicts:
            st.markdown(f"**{ui.md(labels.get(c['p'], c['p']))}**")
            cols = st.columns(len(c["values"]))
            for col, (value, fs) in zip(cols, c["values"].items()):
                with col:
                    ui.show(f'<div class="ot-stage" style="border-color:#c0392b"><b>{ui.esc(value)}</b><br>'
                            + "<br>".join(ui.citation_html(g, f, labels) for f in fs) + "</div>")

    obs = g.observations(iri)
    if obs:
        st.subheader("Figures about it")
        olabels = g.labels({o["cls"] for o in obs} | {o["material"] for o in obs if o["material"]} |
                           {o["doc"] for o in obs if o["doc"]} | {o["unit"] for o in obs if o["unit"]} | {o["obs"] for o in obs}
                           | {o["measure"] for o in obs if o["measure"]})
        # "sources disagree": the same figure (measure, material, element, place, sector, period) and
        # unit with different values, the rule of the catalogue's source-disagreements and of X2
        def figure_key(o):
            return (o["measure"], o["material"], o["element"], o["place"], o["sector"], o["year"], o["ps"], o["pe"], o["unit"])

        groups = defaultdict(set)
        for o in obs:
            groups[figure_key(o)].add(o["value"])
        rows = []
        for o in obs:
            clash = len(groups[figure_key(o)]) > 1
            value = o["value"] if o["value"] is not None else f"{o['min'] if o['min'] is not None else ''}–{o['max'] if o['max'] is not None else ''}"
            rows.append([ui.link(o["obs"], olabels.get(o["obs"])), ui.esc(olabels.get(o["measure"] or o["cls"], "")),
                         ui.value_html(g, o["material"], olabels) if o["material"] else "",
                         ui.esc(o["year"] or (f"{o['ps']}–{o['pe']}" if o["ps"] else "")),
                         ui.esc(value) + " " + ui.esc(g.short(o["unit"]).replace("unit:", "") if o["unit"] else "")
                         + (' <span class="ot-badge ot-conflict">sources disagree</span>' if clash else ""),
                         (ui.link(o["doc"], olabels.get(o["doc"])) + " " + ui.esc(o["loc"] or "")) if o["doc"] else ""])
        ui.show(ui.table(["figure", "measure", "material", "period", "value", "source"], rows))

    nb = g.neighbours(iri)
    if nb["upstream"] or nb["downstream"]:
        st.subheader("Along the chain")
        nl = g.labels(nb["upstream"] + nb["downstream"])
        c1, c2 = st.columns(2)
        with c1:
            ui.show("<b>Upstream</b><ul>" + "".join(f"<li>{ui.link(n, nl[n])}</li>" for n in nb["upstream"]) + "</ul>"
                    if nb["upstream"] else '<span class="ot-muted">nothing upstream recorded</span>')
        with c2:
            ui.show("<b>Downstream</b><ul>" + "".join(f"<li>{ui.link(n, nl[n])}</li>" for n in nb["downstream"]) + "</ul>"
                    if nb["downstream"] else '<span class="ot-muted">nothing downstream recorded</span>')

    incoming = [f for f in facts if f["dir"] == "in" and f["p"] != OT + "about"]
    if incoming:
        st.subheader("Mentioned by")
        il = g.labels({f["o"] for f in incoming})
        ui.show(ui.table(["entity", "says", "who says so"],
                         [[ui.value_html(g, f["o"], {**labels, **il}), ui.value_html(g, f["p"], labels),
                           ui.citation_html(g, f, labels)] for f in sorted(incoming, key=lambda f: str(f["o"]))]))

    if OT + "Source" in asserted + inferred:
        ui.show(f'<p>Statements taken from this source: <a href="{ui.esc(ui.href("sources", source=iri))}" '
                f'target="_self">open on the Sources page</a></p>')
    findings = [r for r in g.validation_results() if r["focus"] == iri]
    if findings:
        st.subheader("Validation findings")
        ui.show(ui.table(["severity", "property", "message"],
                         [[ui.esc((r["severity"] or "").rsplit("#", 1)[-1]), ui.value_html(g, r["path"], labels) if r["path"] else "",
                           ui.esc(r["message"])] for r in findings]))


def statement_view(g, iri: str) -> None:
    """A curated statement: where it comes from and what it asserts."""
    rows = [s for s in g.statements() if s["g"] == iri]
    if not rows:
        return
    s = rows[0]
    labels = g.labels([s["doc"], s["curator"], s["conf"], *s["cites"].split()] if s["cites"] else [s["doc"], s["curator"], s["conf"]])
    st.subheader("Curated statement")
    cites = ", ".join(ui.link(c, labels.get(c)) for c in (s["cites"] or "").split())
    ui.show(ui.table(["", ""], [
        ["says", ui.esc(s["para"])], ["document", ui.link(s["doc"], labels.get(s["doc"]))], ["where", ui.esc(s["loc"])],
        ["cites", cites or '<span class="ot-muted">no cited source</span>'],
        ["confidence", ui.esc(labels.get(s["conf"], ""))], ["curator", ui.link(s["curator"], labels.get(s["curator"]))],
        ["curated on", ui.esc(s["created"])], ["file", ui.esc(f"{s['file']}:{s['line']}")]]))
    triples = g.statement_triples([iri]).get(iri, [])
    tl = g.labels({x for t in triples for x in (t["s"], t["p"], t["o"])})
    st.subheader("It asserts")
    ui.show(ui.table(["subject", "property", "value"],
                     [[ui.value_html(g, t["s"], tl), ui.value_html(g, t["p"], tl), ui.value_html(g, t["o"], tl)] for t in triples]))
