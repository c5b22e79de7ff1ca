"""Trace: follow a material, actor, site or product up the chain to the mines and down to the products,
in one ordered list with the statement that states each hop; the whole chain, or the path to one end,
as a table, a CSV and a printable page with its citations.

The walk is oretrace.trace over the catalogue's trace-upstream.rq and trace-downstream.rq; this page
only turns its hops into sentences and rows.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

import ui
from components import download_csv, permalink
from oretrace.appdata import is_iri
from oretrace.vocab import OT

# The stated triple runs from the upstream thing to the downstream one for these links, and the
# other way round for the rest (a process takes in a material, a flow starts at a place ...).
FORWARD = {OT + x for x in ("output", "byProduct", "componentOf", "followedBy", "nextFlow", "toProcess", "destination",
                            "buyer", "receivingSmelter")}
VERB = {"output": "makes", "byProduct": "gives as a by-product", "componentOf": "is a component of",
        "followedBy": "is followed by", "nextFlow": "continues as", "toProcess": "goes to", "destination": "goes to",
        "buyer": "is bought by", "receivingSmelter": "is received by", "input": "takes in",
        "derivedFromMaterial": "is made from", "fromProcess": "comes from", "origin": "starts in", "seller": "is sold by",
        "feedFrom": "takes its feed from", "performedBy": "is done by", "performedAt": "takes place at"}
COLUMNS = ["step", "direction", "from", "says", "to", "statement", "source", "locator", "from IRI", "to IRI",
           "statement IRI", "source IRI"]


def chain(g, iri: str, target: str | None = None) -> tuple[list[dict], bool]:
    """The hops of the chain through `iri` ordered from the mine end to the product end (only those on the
    path to `target` when given), each as a row of labels and IRIs; and whether a walk stopped at its limit."""
    up, down = g.trace(iri, "upstream"), g.trace(iri, "downstream")
    if target:
        ups, downs = list(reversed(up.path_to(target))), down.path_to(target)
    else:
        ups = sorted(up.hops, key=lambda h: (-h.depth, h.node))
        downs = sorted(down.hops, key=lambda h: (h.depth, h.node))
    hops = [("upstream", h) for h in ups] + [("downstream", h) for h in downs]
    names = g.labels({x for _, h in hops for x in (h.node, h.parent, h.statement, h.document)} | {iri})
    rows = []
    for n, (direction, h) in enumerate(hops, 1):
        upper, lower = (h.node, h.parent) if direction == "upstream" else (h.parent, h.node)
        s, o = (upper, lower) if h.link in FORWARD else (lower, upper)
        rows.append({"step": n, "direction": direction, "s": s, "s_label": names.get(s, s), "says": VERB.get(h.link.rsplit("#", 1)[-1],
                     g.short(h.link)), "o": o, "o_label": names.get(o, o), "statement": h.statement,
                     "statement_label": g.short(h.statement).replace("statement/", ""), "document": h.document,
                     "document_label": names.get(h.document, h.document), "where": h.where})
    return rows, up.stopped or down.stopped


def csv_rows(rows: list[dict]) -> list[list]:
    return [[r["step"], r["direction"], r["s_label"], r["says"], r["o_label"], r["statement_label"], r["document_label"],
             r["where"], r["s"], r["o"], r["statement"], r["document"]] for r in rows]


def table_html(rows: list[dict]) -> str:
    return ui.table(["#", "hop", "who says so"],
                    [[ui.esc(r["step"]), f'{ui.link(r["s"], r["s_label"])} {ui.esc(r["says"])} {ui.link(r["o"], r["o_label"])}',
                      f'<span class="ot-cite">{ui.link(r["document"], r["document_label"])} · {ui.esc(r["where"])} · statement '
                      f'{ui.link(r["statement"], r["statement_label"])}</span>'] for r in rows])


def printable(g, title: str, rows: list[dict], url: str) -> bytes:
    """A self-contained HTML page of the chain with a citation per hop and the list of sources, to print."""
    from oretrace import cite

    docs = list(dict.fromkeys(r["document"] for r in rows))
    refs = []
    for d in docs:
        rec = g.citation(d)
        refs.append(cite.text(rec, g.version) if rec else d)
    body = "".join(f"<tr><td>{r['step']}</td><td>{ui.esc(r['s_label'])} {ui.esc(r['says'])} {ui.esc(r['o_label'])}</td>"
                   f"<td>{ui.esc(r['document_label'])}, {ui.esc(r['where'])} (statement {ui.esc(r['statement_label'])})</td></tr>"
                   for r in rows)
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{ui.esc(title)}</title>"
            "<style>body{font:12pt Georgia,serif;margin:2cm}table{border-collapse:collapse;width:100%}"
            "td,th{border-bottom:1px solid #999;padding:4px;vertical-align:top;text-align:left}</style>"
            f"<h1>{ui.esc(title)}</h1><p>oretrace {ui.esc(g.version)}, printed {dt.date.today().isoformat()} from "
            f"{ui.esc(url)}</p><table><tr><th>#</th><th>hop</th><th>who says so</th></tr>{body}</table>"
            f"<h2>Sources</h2><ol>{''.join(f'<li>{ui.esc(x)}</li>' for x in refs)}</ol></html>").encode("utf-8")


def panel(g, iri: str, rows: list[dict], stopped: bool, name: str, key: str, title: str) -> None:
    """The ordered list with its CSV and printable downloads."""
    from components import full_url

    if stopped:
        st.warning("The chain is longer than the trace follows; the list stops at its limit.")
    ui.show(table_html(rows))
    c1, c2 = st.columns(2)
    with c1:
        download_csv(COLUMNS, csv_rows(rows), name, key=f"{key}_csv", label="Download the trace (CSV)")
    with c2:
        st.download_button("Printable chain with citations (HTML)", printable(g, title, rows, full_url(ui.href("trace", iri=iri))),
                           file_name=f"{name}.html", mime="text/html", key=f"{key}_print")


@ui.page
def render() -> None:
    g = ui.graph()
    iri = st.query_params.get("iri")
    if not iri:
        products = [m for s in g.chain_stages() if s["title"] == "Products" for m in s["members"]]
        iri = products[0][0] if products else None
    if not iri or not is_iri(iri) or any(c in iri for c in "<>\"{}|\\^` "):
        ui.header("Trace")
        st.info("Open a material, actor, site or product to trace it (the iri parameter names it).")
        return
    label = g.labels([iri])[iri]
    ui.header(f"Trace: {label}", "Where it comes from and where it goes, hop by hop, with the statement that says so.")
    full, stopped = chain(g, iri)
    if not full:
        st.info(ui.md(f"The graph records no link up or down the chain from {label}."))
        return
    ends = sorted({x for r in full for x in (r["s"], r["o"]) if x != iri}, key=lambda x: g.labels([x])[x].lower())
    names = g.labels(ends)
    want = st.query_params.get("to")
    options = [""] + ends
    target = st.selectbox("Show only the path to", options, index=options.index(want) if want in options else 0,
                          format_func=lambda x: names.get(x, x) if x else "the whole chain", key="trace_to")
    if target:
        st.query_params["to"] = target
    else:
        st.query_params.pop("to", None)
    st.query_params["iri"] = iri
    rows, stopped = chain(g, iri, target) if target else (full, stopped)
    what = f"path from {names[target]} to {label}" if target and any(r["direction"] == "upstream" for r in rows) \
        else f"path from {label} to {names[target]}" if target else f"whole chain through {label}"
    st.subheader(f"{len(rows)} hop{'s' if len(rows) != 1 else ''}: the {what}")
    st.caption("From the mine end to the product end; every hop with the document, the place in it and the curated statement.")
    panel(g, iri, rows, stopped, f"trace-{g.short(iri).replace('/', '-').replace(':', '-')}", "trace", f"oretrace: the {what}")
    permalink(ui.href("trace", iri=iri, to=target), key="trace_link")
