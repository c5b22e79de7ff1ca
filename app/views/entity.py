"""Entity pages: search by name; every fact of an actor, site, material, flow or source with its citation, its
figures in plain numbers, its trace up and down the chain, a notice when its IRI is deprecated; IRIs,
inferred types and index or citation nodes behind "technical details"; a CSV of every table."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

import streamlit as st

import ui
from components import cite_this, download_csv, file_slug, permalink, table
from oretrace.appdata import FACT_KINDS, is_iri
from oretrace.vocab import OT, RDF, RDFS
from views import trace as trace_view

TRACED = ("material", "actor", "site", "region", "country", "place")  # kinds of entity with a trace panel
NOISE = ("statement", "citation", "index")  # kinds of node behind "technical details" in "Mentioned by"


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
                                 f"{ui.esc(labels.get(h['type'], '') if h['type'] else '')}</span>"
                                 + ("" if h["data"] else ' <span class="ot-muted">(term of the ontology)</span>') + "</li>"
                                 for h in hits) + "</ul>")


@ui.page
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
    status = g.status(iri)
    if not g.exists(iri):
        ui.header("Withdrawn" if status["withdrawn"] else "Not in the graph")
        if status["withdrawn"]:
            st.warning(ui.md(f"{iri} was published by oretrace and has been withdrawn: the graph no longer says "
                             "anything about it (the linked-data server answers 410 Gone)."))
        else:
            st.warning(ui.md(f"The graph says nothing about {iri}."))
        search_box(g)
        return
    facts = g.facts(iri)
    names = {iri} | {f["p"] for f in facts} | {f["o"] for f in facts if is_iri(f["o"])} | \
            {x for f in facts for x in [f["doc"], *f["cited"]] if x}
    labels = g.labels(names)
    labels.update({RDF + "type": "is a", RDFS + "label": "name"})  # plain words in the property column
    ui.header(labels[iri])
    if status["deprecated"]:
        repl = status["replacements"]
        ui.show('<div class="ot-deprecated" role="alert" style="border-left:4px solid #c0392b;padding:6px 10px;'
                'background:#fdf0ef"><b>Deprecated.</b> This IRI is kept so that links to it still work, but it should '
                'no longer be used' + (": use " + ", ".join(ui.link(r, label or g.short(r)) for r, label in repl)
                                      + " instead." if repl else "; nothing replaces it.") + "</div>")
    st.link_button("Propose a fact / dispute", "contribute?" + urlencode({"about": iri}),
                   help="the Contribute page, with this entity filled in")
    tech = st.toggle("Technical details", value=st.query_params.get("tech") == "1", key="tech",
                     help="IRIs, types inferred by the reasoner, index and citation nodes")
    if tech:
        st.query_params["tech"] = "1"
    else:
        st.query_params.pop("tech", None)
    asserted = sorted({f["o"] for f in facts if f["dir"] == "out" and f["p"] == RDF + "type" and not f["inferred"]})
    inferred = sorted({f["o"] for f in facts if f["dir"] == "out" and f["p"] == RDF + "type" and f["inferred"]} - set(asserted))
    badges = "".join(f'<span class="ot-badge">{ui.link(t, labels.get(t))}</span>' for t in asserted)
    badges += "".join(f'<span class="ot-badge ot-inferred" title="inferred">{ui.link(t, labels.get(t))} (inferred)</span>'
                      for t in inferred)
    plain_badges = "".join(f'<span class="ot-badge">{ui.link(t, labels.get(t))}</span>' for t in asserted)
    n_inferred = sum(1 for f in facts if f["inferred"])
    ui.show((f"<p><code>{ui.esc(iri)}</code></p><p>{badges}</p>" if tech else f"<p>{plain_badges}</p>")
            + (f'<p class="ot-muted">{n_inferred} fact{"s" if n_inferred != 1 else ""} inferred by the reasoner (HermiT) '
               'are shown under technical details.</p>' if n_inferred and not tech else ""))
    permalink(ui.entity_href(iri), key="entity_link")
    d1, d2, _ = st.columns([1, 1, 4])
    slug = file_slug(g, iri)
    d1.download_button("Turtle", g.describe(iri, "ttl"), file_name=f"{slug}.ttl", mime="text/turtle", key="dl_ttl")
    d2.download_button("JSON-LD", g.describe(iri, "jsonld"), file_name=f"{slug}.jsonld", mime="application/ld+json",
                       key="dl_jsonld")

    ekind = (g.iris.split(iri) or ("",))[0] if iri.startswith(g.iris.base + "/id/") else ""
    if ekind == "statement":
        statement_view(g, iri)
        cite_this(g, iri, key="cite_statement")
    if OT + "Source" in asserted + inferred:
        cite_this(g, iri, key="cite_source")

    out = [f for f in facts if f["dir"] == "out" and (tech or not f["inferred"])]
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
        download_csv(FACT_COLUMNS, fact_csv(rows, labels), f"{slug}-{kind.lower().replace(' ', '-')}", key=f"csv_{kind}")

    conflicts = [d for d in g.disagreements() if d["about"] == iri and not is_figure(d)]
    if conflicts:
        st.subheader("Sources disagree")
        dl = g.labels({x for d in conflicts for x in (d["compared"], d["document1"], d["document2"])})
        table(["property", "one statement says", "another says"],
              [[ui.esc(dl.get(d["compared"], "")),
                f'{ui.value_html(g, d["value1"], labels)} <span class="ot-cite">{ui.link(d["document1"], dl.get(d["document1"]))}'
                f' · statement {ui.link(d["statement1"], g.short(d["statement1"]))}</span>',
                f'{ui.value_html(g, d["value2"], labels)} <span class="ot-cite">{ui.link(d["document2"], dl.get(d["document2"]))}'
                f' · statement {ui.link(d["statement2"], g.short(d["statement2"]))}</span>'] for d in conflicts],
              "disagreements", key="conflicts_csv")

    obs = g.observations(iri)
    if obs:
        st.subheader("Figures about it")
        st.caption("“Sources disagree” marks a figure that another statement gives differently for the same measure, "
                   "subject, material and period (the rule of the Findings page).")
        ol = g.labels({o[k] for o in obs for k in ("cls", "measure", "material", "document") if o[k]})
        rows, csv = [], []
        for o in obs:
            what = ol.get(o["measure"] or o["cls"], "")
            name = o["label"] or what
            badge = ' <span class="ot-badge ot-conflict">sources disagree</span>' if o["disagree"] else ""
            rows.append([ui.link(o["obs"], name), ui.esc(what), ui.value_html(g, o["material"], ol) if o["material"] else "",
                         ui.esc(o["period"]), ui.esc(o["quantity"]) + badge,
                         (ui.link(o["document"], ol.get(o["document"])) + " " + ui.esc(o["where"] or "")) if o["document"] else ""])
            csv.append([name, what, ol.get(o["material"], "") if o["material"] else "", o["period"], o["quantity"],
                        o["value"], o["min"], o["max"], o["symbol"] or "", "yes" if o["disagree"] else "",
                        ol.get(o["document"], "") if o["document"] else "", o["where"] or "", o["statement"], o["obs"]])
        ui.show(ui.table(["figure", "measure", "material", "period", "value", "source"], rows))
        download_csv(["figure", "measure", "material", "period", "value", "number", "minimum", "maximum", "unit",
                      "sources disagree", "source", "locator", "statement IRI", "figure IRI"], csv, f"{slug}-figures",
                     key="csv_figures")

    if ekind in TRACED:
        full, stopped = trace_view.chain(g, iri)
        st.subheader("Trace upstream / downstream")
        if full:
            st.caption(f"{len(full)} hops from the mine end to the product end, each with the statement that states it. "
                       "Open the trace page to show only the path to one end.")
            ui.show(f'<p><a href="{ui.esc(ui.href("trace", iri=iri))}" target="_self">Open the trace of {ui.esc(labels[iri])}</a></p>')
            with st.expander(f"The {len(full)} hops", expanded=len(full) <= 12):
                trace_view.panel(g, iri, full, stopped, f"trace-{slug}", "entity_trace", f"oretrace: the chain through {labels[iri]}")
        else:
            st.caption("The graph records no link up or down the chain from here.")

    incoming = [f for f in facts if f["dir"] == "in" and f["p"] != OT + "about" and (tech or not noise(g, f))]
    if incoming:
        st.subheader("Mentioned by")
        il = g.labels({f["o"] for f in incoming})
        incoming.sort(key=lambda f: str(f["o"]))
        ui.show(ui.table(["entity", "says", "who says so"],
                         [[ui.value_html(g, f["o"], {**labels, **il}), ui.value_html(g, f["p"], labels),
                           ui.citation_html(g, f, labels)] for f in incoming]))
        download_csv(["entity", "says", "source", "locator", "statement IRI", "entity IRI"],
                     [[{**labels, **il}.get(f["o"], f["o"]), labels.get(f["p"], f["p"]), labels.get(f["doc"], "") if f["doc"] else "",
                       f["loc"] or "", f["g"], f["o"]] for f in incoming], f"{slug}-mentioned-by", key="csv_mentioned")

    if OT + "Source" in asserted + inferred:
        ui.show(f'<p>Statements taken from this source: <a href="{ui.esc(ui.href("sources", source=iri))}" '
                f'target="_self">open on the Sources page</a></p>')
    findings = [r for r in g.validation_results() if r["focus"] == iri]
    if findings:
        st.subheader("Validation findings")
        table(["severity", "property", "message"],
              [[ui.esc((r["severity"] or "").rsplit("#", 1)[-1]), ui.value_html(g, r["path"], labels) if r["path"] else "",
                ui.esc(r["message"])] for r in findings], "validation-findings", key="findings_csv")


FACT_COLUMNS = ["property", "value", "source", "locator", "cited source", "statement", "inferred", "value IRI"]


def fact_csv(rows: list[dict], labels: dict) -> list[list]:
    """Fact rows as CSV: labels first, the IRIs beside them."""
    return [[labels.get(f["p"], f["p"]), labels.get(f["o"], f["o"]) if is_iri(f["o"]) else f["o"],
             labels.get(f["doc"], "") if f["doc"] else "", f["loc"] or "", "; ".join(labels.get(c, c) for c in f["cited"]),
             f["sid"] or (f["g"] if f["doc"] else ""), "yes" if f["inferred"] else "", f["o"] if is_iri(f["o"]) else ""]
            for f in rows]


def noise(g, f: dict) -> bool:
    """A mention by an index, citation or statement node, or an inferred one: technical, not a fact for the reader."""
    parts = g.iris.split(f["o"]) if isinstance(f["o"], str) and f["o"].startswith(g.iris.base + "/id/") else None
    return f["inferred"] or bool(parts and parts[0] in NOISE) or f["origin"] == "provenance"


def is_figure(d: dict) -> bool:
    """A disagreement between two figures (compared by their measure, a concept), not two values of a property."""
    return d["compared"].startswith(OT) and d["compared"][len(OT):][:1].isupper()


def statement_view(g, iri: str) -> None:
    """A curated statement: where it comes from and what it asserts."""
    rows = [s for s in g.statements() if s["g"] == iri]
    if not rows:
        return
    s = rows[0]
    labels = g.labels([s["doc"], s["curator"], s["conf"], *s["cites"].split()] if s["cites"] else [s["doc"], s["curator"], s["conf"]])
    st.subheader("Curated statement")
    cites = ", ".join(ui.link(c, labels.get(c)) for c in (s["cites"] or "").split())
    table(["", ""], [
        ["says", ui.esc(s["para"])], ["document", ui.link(s["doc"], labels.get(s["doc"]))], ["where", ui.esc(s["loc"])],
        ["cites", cites or '<span class="ot-muted">no cited source</span>'],
        ["confidence", ui.esc(labels.get(s["conf"], ""))], ["curator", ui.link(s["curator"], labels.get(s["curator"]))],
        ["curated on", ui.esc(s["created"])], ["file", ui.esc(f"{s['file']}:{s['line']}")]],
        "statement", key="statement_csv")
    triples = g.statement_triples([iri]).get(iri, [])
    tl = g.labels({x for t in triples for x in (t["s"], t["p"], t["o"])})
    st.subheader("It asserts")
    table(["subject", "property", "value"],
          [[ui.value_html(g, t["s"], tl), ui.value_html(g, t["p"], tl), ui.value_html(g, t["o"], tl)] for t in triples],
          "statement-triples", key="asserts_csv")
