"""Due diligence at a glance: one row per smelter, refiner and trader on the selected chain, with the feed
it declares, the due-diligence status of its flows, its risks, the facts no source gives and the open
findings of the validation, each fact linked to the statement that states it."""

from __future__ import annotations

import streamlit as st

import ui
from components import download_csv, permalink
from oretrace.appdata import is_iri
from oretrace.vocab import OT

ROLES = [("smelter or refiner", {OT + c for c in ("SmelterOrRefiner", "MetallurgicalPlant", "Smelter", "Refinery", "Fumer",
                                                  "SmelterRefinerCompany")}),
         ("trader", {OT + "LocalTrader", OT + "CommodityTrader"})]
COLUMNS = ["name", "role", "feed declared", "due-diligence status", "risks", "missing facts", "open findings",
           "statements", "sources", "IRI"]


def role_of(types: list[str]) -> str | None:
    return next((name for name, classes in ROLES if classes & set(types)), None)


def members(g, iri: str) -> list[tuple[str, str]]:
    """(node, role) of the smelters, refiners and traders on the chain through `iri`, up and down."""
    nodes = {iri} | {h.node for d in ("upstream", "downstream") for h in g.trace(iri, d).hops}
    types = g.types_of(nodes)
    return sorted(((n, r) for n in nodes if (r := role_of(types.get(n, [])))), key=lambda p: (p[1], p[0]))


def profile(g, node: str, role: str, findings: list[dict]) -> dict:
    """What is known and what is missing of one member, as page data."""
    facts = g.diligence(node)
    by: dict[str, list[dict]] = {}
    for f in facts:
        by.setdefault(f["aspect"], []).append(f)
    missing = []
    if not by.get("feed declared") and role != "trader":
        missing.append("feed not declared")
    if not by.get("due-diligence status"):
        missing.append("no due-diligence status stated for its flows")
    if role != "trader" and not by.get("flow received"):
        missing.append("no flow received is recorded")
    if role == "trader" and not (by.get("flow sold") or by.get("flow received")):
        missing.append("no flow it trades is recorded")
    open_ = list({(r["shape"], r["message"]): r for r in findings if r["focus"] == node}.values())  # one per result
    return {"node": node, "role": role, "by": by, "missing": missing, "findings": open_,
            "statements": sorted({f["statement"] for f in facts}), "documents": sorted({f["document"] for f in facts})}


def _cell(g, facts: list[dict], names: dict, empty: str) -> str:
    if not facts:
        return f'<span class="ot-conflict ot-badge">{ui.esc(empty)}</span>'
    seen, out = set(), []
    for f in facts:
        if f["value"] in seen:
            continue
        seen.add(f["value"])
        v = ui.value_html(g, f["value"], names)
        out.append(f'{v} <span class="ot-cite">({ui.link(f["statement"], "statement")})</span>')
    return "<br>".join(out)


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("Due diligence", "The smelters, refiners and traders on a chain: what they declare, what sources say of "
                               "their due diligence and risks, and what is missing.")
    stages = {s["title"]: s["members"] for s in g.chain_stages()}
    choices = [x for x, _ in stages.get("Products", []) + stages.get("Mines", [])]
    iri = st.query_params.get("iri")
    if iri and (not is_iri(iri) or any(c in iri for c in "<>\"{}|\\^` ")):
        st.error("The iri parameter is not an IRI.")
        return
    if iri and iri not in choices:
        choices.insert(0, iri)
    if not choices:
        st.info("The graph holds no chain to look at.")
        return
    names = g.labels(choices)
    iri = st.selectbox("The chain through", choices, index=choices.index(iri) if iri in choices else 0,
                       format_func=lambda x: names.get(x, x), key="dd_chain")
    st.query_params["iri"] = iri
    findings = g.validation_results()
    profiles = [profile(g, n, r, findings) for n, r in members(g, iri)]
    if not profiles:
        st.info(ui.md(f"No smelter, refiner or trader is recorded on the chain through {names[iri]}."))
        return
    labels = g.labels({p["node"] for p in profiles} | {f["value"] for p in profiles for fs in p["by"].values() for f in fs}
                      | {d for p in profiles for d in p["documents"]})
    gaps = sum(len(p["missing"]) for p in profiles)
    c = st.columns(3)
    c[0].metric("Smelters, refiners and traders", len(profiles))
    c[1].metric("Missing facts", gaps)
    c[2].metric("Open findings", sum(len(p["findings"]) for p in profiles))
    rows, csv = [], []
    for p in profiles:
        fl = "<br>".join(ui.esc(f["message"] or "") for f in p["findings"]) or '<span class="ot-muted">none</span>'
        rows.append([ui.link(p["node"], labels[p["node"]]), ui.esc(p["role"]),
                     _cell(g, p["by"].get("feed declared", []), labels, "not declared"),
                     _cell(g, p["by"].get("due-diligence status", []), labels, "not stated"),
                     _cell(g, p["by"].get("risk", []), labels, "none recorded"),
                     "<br>".join(ui.esc(m) for m in p["missing"]) or '<span class="ot-muted">none</span>',
                     fl + (f'<br><a href="{ui.esc(ui.href("findings"))}" target="_self">all findings</a>' if p["findings"] else "")])
        csv.append([labels[p["node"]], p["role"],
                    "; ".join(labels.get(f["value"], f["value"]) for f in p["by"].get("feed declared", [])) or "not declared",
                    "; ".join(str(f["value"]) for f in p["by"].get("due-diligence status", [])) or "not stated",
                    "; ".join(dict.fromkeys(labels.get(f["value"], f["value"]) for f in p["by"].get("risk", []))) or "none recorded",
                    "; ".join(p["missing"]), "; ".join(f["message"] or "" for f in p["findings"]),
                    " ".join(p["statements"]), "; ".join(labels.get(d, d) for d in p["documents"]), p["node"]])
    ui.show(ui.table(["name", "role", "feed declared", "due-diligence status", "risks", "missing facts", "open findings"], rows))
    download_csv(COLUMNS, csv, "due-diligence", key="dd_csv")
    permalink(ui.href("diligence", iri=iri), key="dd_link")
