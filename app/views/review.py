"""Review: proposed statements beside the document's text, every field editable, accepted or
rejected one by one or in bulk.

The passage is read live from the document and shown with the proposal's span highlighted (the
proposals file never holds it). Accepting writes into data/sources/ID.yaml through
`oretrace.proposals.accept`: the project's checker passes the result first, or nothing is written
and its problems are shown.
"""

from __future__ import annotations

import streamlit as st

import ui
from oretrace import proposals
from oretrace.config import settings as make_settings
from oretrace.curated import format as fmt

from views.contribute import NONE, pick, record_inputs, registry_view

MARK = ("\u0000\u0001", "\u0001\u0000")  # stand-ins for the highlight, replaced after escaping
PAGE = 25


def _passage_html(props, it) -> str:
    text, warn = proposals.passage(props, it, width=400, mark=MARK)
    out = ""
    if warn:
        out += f'<p class="ot-muted">{ui.esc(warn)}</p>'
    if text:
        body = ui.esc(text).replace(ui.esc(MARK[0]), '<mark class="ot-span">').replace(ui.esc(MARK[1]), "</mark>")
        out += f'<div class="ot-passage" style="white-space:pre-wrap;font-size:0.88rem;border-left:3px solid #2f6f8f;' \
               f'padding:6px 10px;background:#f8fafb">{body}</div>'
    return out


def _node_editor(node: dict, key: str, view: dict) -> dict:
    """A node's fields: references as pickers, the quantity as the format declares it, the rest as text."""
    out = {}
    for k, v in node.items():
        wkey = f"{key}.{k}"
        if k == "quantity" and isinstance(v, dict):
            st.caption("quantity")
            out[k] = record_inputs(fmt.QUANTITY, wkey, v, columns=3)
        elif k in ("id", "about"):
            out[k] = st.text_input(k, value=str(v), key=wkey)
        elif isinstance(v, str) and "/" in v and not v.startswith("http"):
            out[k] = pick(k.replace("_", " "), view["entities"], wkey, v) or v
        elif isinstance(v, str) and k in ("material", "element") or (isinstance(v, str) and v in view["elements"]):
            out[k] = pick(k, {e: e for e in view["elements"]}, wkey, v) or v
        elif isinstance(v, bool):
            out[k] = st.checkbox(k, value=v, key=wkey)
        elif isinstance(v, (int, float)):
            txt = st.text_input(k, value=str(v), key=wkey)
            try:
                out[k] = int(txt) if txt.strip().lstrip("-").isdigit() else float(txt)
            except ValueError:
                st.warning(ui.md(f"{k}: {txt[:40]!r} is not a number"))
                out[k] = v
        elif isinstance(v, list):
            out[k] = [x.strip() for x in st.text_input(k, value=", ".join(map(str, v)), key=wkey).split(",") if x.strip()]
        else:
            out[k] = st.text_input(k, value="" if v is None else str(v), key=wkey)
    return out


def _statement_editor(it, view: dict) -> dict:
    d = it.data
    key = f"r.{it.id}"
    st.caption("Locator")
    at = record_inputs(fmt.LOCATOR, f"{key}.at", {k: str(v) for k, v in (d.get("at") or {}).items()}, columns=3)
    says = st.text_input("Paraphrase (your own words)", value=str(d.get("says") or ""), key=f"{key}.says")
    conf = st.selectbox("Confidence", ["stated", "estimated", "implied"], key=f"{key}.conf",
                        index=["stated", "estimated", "implied"].index(d.get("confidence") or "stated")
                        if (d.get("confidence") or "stated") in ("stated", "estimated", "implied") else 0)
    cites = d.get("cites")
    cites_txt = st.text_input("Cites (ids of cited sources, comma-separated)",
                              value=", ".join(cites) if isinstance(cites, list) else (cites or ""), key=f"{key}.cites")
    nodes = []
    for n, node in enumerate(d.get("assert") or []):
        st.caption(f"Node {n + 1}")
        nodes.append(_node_editor(node, f"{key}.n{n}", view))
    out = {"id": it.id, "at": at, "says": says}
    cl = [c.strip() for c in cites_txt.split(",") if c.strip()]
    if cl:
        out["cites"] = cl[0] if len(cl) == 1 else cl
    out["confidence"] = conf
    for k in ("source", "curator", "curated_on"):
        if d.get(k):
            out[k] = d[k]
    out["assert"] = nodes
    return out


def _report(e: proposals.ProposalError) -> None:
    st.error(ui.md(str(e)) + ("\n\n" + "\n".join(f"- {ui.md(p)}" for p in e.problems[:30]) if e.problems else ""))


def render() -> None:
    ui.header("Review", "Proposed statements beside the document they come from. Edit any field, then accept "
                        "(the checker runs first) or reject, one by one or in bulk.")
    s = make_settings()
    files = [sid for sid, counts in proposals.list_files(s)]
    if not files:
        st.info("No proposals to review. `oretrace extract DOCUMENT --source ID` writes some, and so does the "
                "Contribute page.")
        return
    q = st.query_params
    want = q.get("source") if q.get("source") in files else files[0]
    source = st.selectbox("Proposals for the source", files, index=files.index(want), key="r.source")
    if source != q.get("source"):
        q["source"] = source
    try:
        props = proposals.load(s, source)
    except proposals.ProposalError as e:
        _report(e)
        return
    view = registry_view()
    src_item = props.get(source) if props.items and props.items[0].section == "source" else None
    if src_item is not None and not src_item.known:
        with st.expander("The new source", expanded=True):
            st.caption("The document is not a source of the graph yet: its entry joins with the first statement "
                       "accepted. Give its title and its publisher (an actor) or its authors (separated by ;).")
            d = src_item.data
            entry = record_inputs(fmt.SOURCE, "r.src", {k: ("; ".join(v) if isinstance(v, list) else v)
                                                        for k, v in d.items()},
                                  skip=("id", "cited_as", "package", "part_of", "produced_by_project", "cites",
                                        "deprecated", "replaced_by", "publisher", "year_not_before"), columns=2,
                                  prefix="source ")
            pub = pick("Publisher (an actor)", {r: l for r, l in view["entities"].items() if r.startswith("actor/")},
                       "r.src.publisher", d.get("publisher") if isinstance(d.get("publisher"), str) else None)
            if pub:
                entry["publisher"] = pub
            if "creator" in entry:
                entry["creator"] = [c.strip() for c in str(entry["creator"]).split(";") if c.strip()]
            if st.button("Save the source entry", key="r.src.save"):
                try:
                    proposals.update_source(s, source, entry)
                    st.success("Saved.")
                except proposals.ProposalError as e:
                    _report(e)
    c1, c2 = st.columns([2, 3])
    with c1:
        status = st.radio("Show", ["proposed", "accepted", "rejected", "all"], horizontal=True, key="r.status")
    with c2:
        curators = view["curators"]
        default = props.data.get("curator") if props.data.get("curator") in curators else (curators[0] if curators else None)
        curator = st.selectbox("You, the reviewer", curators, index=curators.index(default) if default else 0,
                               key="r.curator") if curators else None
    items = [i for i in props.items if i.section == "statements" and (status == "all" or i.status == status)]
    st.caption(ui.md(f"{len(items)} statement{'s' if len(items) != 1 else ''} ({status}); "
                     f"{sum(1 for i in props.items if i.section == 'entities')} proposed entities and "
                     f"{sum(1 for i in props.items if i.section == 'cited_sources')} cited sources join with the "
                     "statements that need them."))
    if not items:
        return
    names = {i.id: f"{i.status} · {i.kind} · {i.proposal.get('score', '')} · {str(i.data.get('says') or '')[:90]}"
             for i in items}
    # bulk
    with st.expander("Accept or reject several at once"):
        chosen = st.multiselect("Statements", [i.id for i in items], key="r.bulk", format_func=lambda x: names[x])
        b1, b2, b3 = st.columns(3)
        if b1.button("Accept the selected", key="r.bulk.accept", disabled=not chosen):
            _accept(s, source, chosen, curator)
        if b2.button("Reject the selected", key="r.bulk.reject", disabled=not chosen):
            _reject(s, source, chosen)
        if b3.button(f"Accept all {len(items)} shown", key="r.bulk.all", disabled=status != "proposed"):
            _accept(s, source, [i.id for i in items], curator)
    ids = [i.id for i in items]
    pick_id = q.get("item") if q.get("item") in ids else ids[0]
    item_id = st.selectbox("Statement", ids, index=ids.index(pick_id), key="r.item", format_func=lambda x: names[x])
    if item_id != q.get("item"):
        q["item"] = item_id
    it = props.get(item_id)
    left, right = st.columns([1, 1])
    with left:
        st.subheader("The document")
        ui.show(_passage_html(props, it))
        p = it.proposal
        if p.get("note"):
            st.caption(ui.md(f"Note: {p['note']}"))
        if p.get("contributor"):
            c = p["contributor"]
            st.caption(ui.md(f"Contributed by {c.get('name') or 'someone'}" + (f" ({c['contact']})" if c.get("contact") else "")))
        if p.get("disputes"):
            st.caption(ui.md(f"Disputes statement {p['disputes']}: accepted, it stands beside it, each with its source."))
    with right:
        st.subheader("The statement")
        if it.status != "proposed":
            st.info(f"This statement was {it.status}.")
            ui.show(f"<pre>{ui.esc(proposals._dump(proposals._clean(it.data)))}</pre>")
            return
        edited = _statement_editor(it, view)
        b1, b2, b3 = st.columns(3)
        if b1.button("Save the edits", key=f"r.save.{it.id}"):
            _save(s, source, edited)
        if b2.button("Accept", type="primary", key=f"r.accept.{it.id}"):
            if edited != proposals._clean({k: v for k, v in it.data.items() if k != "proposal"}):
                if not _save(s, source, edited):
                    return
            _accept(s, source, [it.id], curator)
        if b3.button("Reject", key=f"r.reject.{it.id}"):
            _reject(s, source, [it.id])


def _save(s, source, edited) -> bool:
    try:
        proposals.update_statement(s, source, edited)
    except proposals.ProposalError as e:
        _report(e)
        return False
    st.success("Saved.")
    return True


def _accept(s, source, ids, curator) -> None:
    try:
        r = proposals.accept(s, source, ids, curator=curator)
    except proposals.ProposalError as e:
        _report(e)
        return
    if r["file"] is None:
        st.info("Nothing to accept: already decided.")
        return
    st.success(ui.md(f"Accepted {len(r['accepted'])} into data/sources/{source}.yaml"
                     + (f", with {len(r['added'])} they need" if r["added"] else "")
                     + "; the checker passed them. They appear in the graph after the next build."))


def _reject(s, source, ids) -> None:
    try:
        r = proposals.reject(s, source, ids)
    except proposals.ProposalError as e:
        _report(e)
        return
    st.success(f"Rejected {len(r['rejected'])}.")


__all__ = ["render", "NONE"]
