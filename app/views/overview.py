"""Overview: what the graph holds, its build and validation status, and the chain in one picture."""

from __future__ import annotations

import streamlit as st

import ui


# The worked example of the three tasks: the touchscreen's indium back to the Oruro cooperatives.
PRODUCT, MINERS = "material/touchscreen", "actor/oruro-mining-cooperatives"


def tasks(g) -> None:
    """Three questions answered in one click each: trace a product's metal to its miners with a citation per
    hop, the royalty lost with its law and evidence (and its CSV), the due-diligence gaps of the chain."""
    product, miners = g.iris.ref(PRODUCT), g.iris.ref(MINERS)
    st.subheader("Start here")
    items = []
    if g.exists(product) and g.exists(miners):
        names = g.labels([product, miners])
        items.append(f'<li><a href="{ui.esc(ui.href("trace", iri=product, to=miners))}" target="_self">Trace the indium in a '
                     f'{ui.esc(names[product])} back to the {ui.esc(names[miners])}</a>: every hop with its source '
                     "(printable, CSV).</li>")
        dd = ui.href("diligence", iri=product)
    else:
        dd = ui.href("diligence")
    items.append(f'<li><a href="{ui.esc(ui.href("royalty"))}" target="_self">The royalty lost on exported ore and '
                 "concentrate</a>: the law, the evidence and the ranges, with a CSV for a report.</li>")
    items.append(f'<li><a href="{ui.esc(dd)}" target="_self">The due-diligence gaps of the chain\'s smelters, refiners and '
                 "traders</a>: feed declared, status, risks, missing facts and open findings.</li>")
    ui.show('<ol class="ot-tasks">' + "".join(items) + "</ol>")
    from views import royalty_export

    st.download_button("Download the royalty report (CSV)", lambda: royalty_export.csv(g), file_name="royalty-report.csv",
                       mime="text/csv", key="royalty_csv")


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("oretrace", "An open knowledge graph of critical-mineral supply chains, with a source for every fact.")
    counts = g.overview()
    cols = st.columns(6)
    for col, (name, key) in zip(cols, [("Statements", "statements"), ("Sources", "sources"), ("Actors", "actors"),
                                       ("Sites", "sites"), ("Flows", "flows"), ("Materials", "materials")]):
        col.metric(name, f"{counts[key]:,}")
    v = g.validation_summary()
    where = g.where
    if not v["present"]:
        status = "no validation report in this graph (run `oretrace validate` or rebuild)"
    elif v["total"] == 0:
        status = "valid: no SHACL findings"
    else:
        status = ", ".join(f"{n} {sev.lower()}{'s' if n != 1 else ''}" for sev, n in sorted(v["by_severity"].items()))
    ui.show(f'<p>Build <code>{ui.esc(g.version)}</code> · {ui.esc(where)} · {counts["triples"]:,} triples, '
            f'{counts["inferred"]:,} inferred · validation: <a href="{ui.esc(ui.href("findings"))}" target="_self">'
            f'{ui.esc(status)}</a></p>')

    tasks(g)

    st.subheader("From mine to product")
    st.caption("Each box is a stage of the chain; click a name to read everything the sources say about it.")
    stages = g.chain_stages()
    boxes = []
    for s in stages:
        items = "".join(f"<li>{ui.link(iri, label)}</li>" for iri, label in s["members"][:12])
        more = len(s["members"]) - 12
        if more > 0:
            items += f'<li class="ot-muted">and {more} more</li>'
        if not s["members"]:
            items = '<li class="ot-muted">none recorded yet</li>'
        boxes.append(f'<div class="ot-stage"><h4>{ui.esc(s["title"])}</h4><ul style="margin:0;padding-left:16px">'
                     f"{items}</ul></div>")
    ui.show('<div class="ot-chain">' + '<div class="ot-arrow">→</div>'.join(boxes) + "</div>")
    ui.show(f'<p>Follow the metal on the <a href="{ui.esc(ui.href("chain"))}" target="_self">supply chain</a> page, '
            f'read the <a href="{ui.esc(ui.href("findings"))}" target="_self">findings</a> (gaps and contradictions), '
            f'browse the <a href="{ui.esc(ui.href("sources"))}" target="_self">sources</a>, or ask anything in '
            f'<a href="{ui.esc(ui.href("sparql"))}" target="_self">SPARQL</a>.</p>')
