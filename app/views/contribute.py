"""Contribute: propose a new fact, or dispute one, with its source and locator.

The form is drawn from the curated format's declaration (oretrace.curated.format: the quantity,
locator, source and contributor records), checks its structure as you type and, on saving, runs
the same checks as an acceptance; a contribution is saved as a proposal file in data/proposals/
and is shown nowhere as fact until a reviewer accepts it. Size and rate are limited; every text
is shown escaped.
"""

from __future__ import annotations

import time

import streamlit as st

import ui
from oretrace import proposals
from oretrace.config import settings as make_settings
from oretrace.curated import format as fmt
from oretrace.extract import registry
from oretrace.extract.mentions import slugify
from oretrace.extract.model import unique

RATE = (5, 600)  # at most 5 contributions per 10 minutes from one browser session
NONE = ""


@st.cache_data(show_spinner=False, max_entries=4)
def _registry_view(root: str, stamp: float) -> dict:
    s = make_settings(root)
    reg = registry.load(s)
    ents = {ref: e.label or ref for ref, e in reg.entities.items() if not ref.startswith("source/")}
    return {"entities": ents, "elements": sorted(reg.elements.values()),
            "sources": {sid: src.title or src.cited_as or sid for sid, src in reg.sources.items()},
            "measures": {c: (m.get("label") or c, m.get("class")) for c, m in reg.measures.items() if m.get("class")},
            "undated": sorted(k for k in reg.individuals if k in ("NoPeriodInSource", "TypicalAnnualFigure",
                                                                  "CurrentAtPublication", "LastingProperty")),
            "properties": sorted(reg.properties), "curators": sorted(r for r in reg.entities if r.startswith("curator/")),
            "statements": sorted(reg.statement_ids),
            "figures": {f["statement"]: f["node"] for f in reg.figures if f.get("statement")}}


def registry_view() -> dict:
    s = make_settings()
    stamp = max((p.stat().st_mtime for p in (s.data_dir / "sources").glob("*.yaml")), default=0.0)
    stamp = max([stamp] + [p.stat().st_mtime for p in (s.data_dir / "entities").glob("*.yaml")])
    return _registry_view(str(s.root), stamp)


def pick(label: str, options: dict, key: str, value: str | None = None, required: bool = False,
         help: str | None = None) -> str | None:
    """A searchable picker of references (type to filter; a reference not listed may be typed)."""
    keys = list(options)
    if value and value not in options:
        keys = [value] + keys
    keys = ([] if required else [NONE]) + keys
    idx = keys.index(value) if value in keys else 0
    choice = st.selectbox(label, keys, index=idx, key=key, help=help, accept_new_options=True,
                          format_func=lambda r: "—" if r == NONE else f"{options.get(r, r)}  ({r})")
    return choice or None


def record_inputs(record: fmt.Record, key: str, values: dict | None = None, skip=(), columns: int = 1,
                  prefix: str = "") -> dict:
    """Inputs for the fields of a declared record, each drawn by its declared type."""
    values = values or {}
    out = {}
    fields = [f for f in fmt.form(record) if f["key"] not in skip and f["widget"] != "record"]
    cols = st.columns(columns) if columns > 1 else None
    for n, f in enumerate(fields):
        k = f["key"]
        if cols is not None:
            with cols[n % columns]:
                out.update(record_inputs(record, key, values, skip=[x["key"] for x in fmt.form(record)
                                                                   if x["key"] != f["key"]], prefix=prefix))
            continue
        cur = values.get(k)
        wkey = f"{key}.{k}"
        label = prefix + f["label"] + (" *" if f["required"] else "")
        if f["widget"] == "choice":
            opts = ([] if f["required"] else [NONE]) + f["choices"]
            v = st.selectbox(label, opts, index=opts.index(cur) if cur in opts else 0, key=wkey, help=f["help"],
                             format_func=lambda o: "—" if o == NONE else o)
        elif f["widget"] == "checkbox":
            v = st.checkbox(label, value=bool(cur), key=wkey, help=f["help"]) or None
        elif f["widget"] == "number":
            txt = st.text_input(label, value="" if cur is None else str(cur), key=wkey, help=f["help"])
            v = _number(txt, f["label"])
        else:
            v = (st.text_area if f["widget"] == "textarea" else st.text_input)(
                label, value="" if cur is None else str(cur), key=wkey, help=f["help"])
        if v not in (None, "", NONE):
            out[k] = v
    return out


def _number(txt: str, what: str):
    t = (txt or "").strip()
    if not t:
        return None
    try:
        v = float(t)
    except ValueError:
        st.warning(ui.md(f"{what}: {t[:40]!r} is not a number (write it with a decimal point, e.g. 7526.671)"))
        return None
    return int(v) if v.is_integer() and "." not in t and "e" not in t.lower() else v


def figure_node(view: dict, key: str, base: dict | None = None) -> dict:
    """The observation of a figure, in the one pattern of docs/modelling.md."""
    base = base or {}
    measures = view["measures"]
    codes = sorted(measures, key=lambda c: measures[c][0])
    m0 = base.get("measures") if base.get("measures") in measures else NONE
    measure = st.selectbox("What is measured *", [NONE] + codes, index=([NONE] + codes).index(m0), key=f"{key}.measure",
                           format_func=lambda c: "—" if c == NONE else measures[c][0])
    c1, c2, c3 = st.columns(3)
    with c1:
        subject = pick("Subject * (what the figure is about)", view["entities"], f"{key}.subject", base.get("subject"))
    with c2:
        material = pick("Material", {**{e: e for e in view["elements"]}, **{r: l for r, l in view["entities"].items()
                                                                              if r.startswith("material/")}},
                        f"{key}.material", base.get("material"))
    with c3:
        element = pick("Element (content, purity, value)", {e: e for e in view["elements"]}, f"{key}.element",
                       base.get("element"))
    c1, c2, c3 = st.columns(3)
    with c1:
        year = _number(st.text_input("Year", value=str(base.get("year") or ""), key=f"{key}.year"), "year")
    with c2:
        span = st.text_input("or a period (2013-2019)", value="", key=f"{key}.period")
    with c3:
        undated = st.selectbox("or why there is no period", [NONE] + view["undated"], key=f"{key}.undated",
                               format_func=lambda o: "—" if o == NONE else o)
    st.caption("The value and its unit")
    q = record_inputs(fmt.QUANTITY, f"{key}.q", base.get("quantity"),
                      skip=("standard_uncertainty", "relative_uncertainty"), columns=3)
    node: dict = {}
    slug = slugify(" ".join(str(x).split("/")[-1] for x in (subject, material or element, measure, year) if x))
    node["id"] = f"observation/{unique(slug or 'figure', set(view['entities']))}"
    if measure:
        node["a"] = measures[measure][1]
        node["measures"] = measure
    for k, v in (("subject", subject), ("material", material), ("element", element)):
        if v:
            node[k] = v
    if year is not None:
        node["year"] = year
    elif span.strip():
        parts = [p.strip() for p in span.replace("\u2013", "-").split("-")]
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            node["period_start"], node["period_end"] = int(parts[0]), int(parts[1])
        else:
            st.warning(ui.md(f"period {span[:40]!r}: write two years, e.g. 2013-2019"))
    elif undated:
        node["undated_reason"] = undated
    node["quantity"] = q
    return node


def fact_node(view: dict, key: str, about: str | None) -> dict:
    c1, c2, c3 = st.columns(3)
    with c1:
        ref = pick("About * (the entity)", view["entities"], f"{key}.about", about)
    with c2:
        props = view["properties"]
        prop = st.selectbox("Property *", [NONE] + props, key=f"{key}.prop",
                            format_func=lambda o: "—" if o == NONE else o.replace("_", " "))
    with c3:
        value = pick("Value * (an entity, or type a value)", view["entities"], f"{key}.value")
    node: dict = {"about": ref} if ref else {}
    if prop and value:
        v = value
        if isinstance(v, str) and v.lstrip("-").replace(".", "", 1).isdigit():
            v = float(v) if "." in v else int(v)
        node[prop] = v
    return node


def source_inputs(view: dict, key: str) -> tuple[str | None, dict | None]:
    how = st.radio("Source of the fact *", ["a source the graph has", "a new source"], horizontal=True,
                   key=f"{key}.how")
    if how == "a source the graph has":
        sid = pick("Source *", view["sources"], f"{key}.sid")
        return sid, None
    st.caption("Describe the document: give its title and its publisher (an actor) or its authors.")
    fields = record_inputs(fmt.SOURCE, f"{key}.new", skip=("cited_as", "package", "part_of", "produced_by_project",
                                                           "cites", "deprecated", "replaced_by", "language",
                                                           "description", "publisher", "year_not_before"),
                            prefix="source ")
    pub = pick("Publisher (an actor)", {r: l for r, l in view["entities"].items() if r.startswith("actor/")},
               f"{key}.new.publisher")
    if pub:
        fields["publisher"] = pub
    if "creator" in fields:
        fields["creator"] = [c.strip() for c in str(fields["creator"]).split(";") if c.strip()]
    sid = fields.pop("id", None)
    fields.setdefault("a", "Report")
    return sid, fields


def _about(value: str | None, view: dict) -> str | None:
    """The entity a link prefills (`?about=` with a reference such as actor/x, or the entity's IRI, as the
    entity page links); anything the registry does not know is ignored."""
    if not value:
        return None
    from oretrace.vocab import IRIs

    parts = IRIs(make_settings().base).split(value)
    ref = "/".join(parts) if parts else value
    return ref if ref in view["entities"] else None


def render() -> None:
    ui.header("Contribute", "Propose a fact, or dispute one, with the source that gives it. A reviewer checks it "
                            "before it enters the graph; until then it is shown nowhere as fact.")
    view = registry_view()
    q = st.query_params
    about = _about(q.get("about"), view)
    disputed = q.get("disputes") if q.get("disputes") in view["statements"] else None
    kinds = ["a figure", "a fact about an entity", "a dispute of a figure"]
    kind = st.radio("What do you propose?", kinds, index=2 if disputed else 1 if about else 0,
                    horizontal=True, key="c.kind")
    base = None
    if kind == "a dispute of a figure":
        figs = view["figures"]
        disputed = st.selectbox("The statement you dispute *", [NONE] + sorted(figs),
                                index=([NONE] + sorted(figs)).index(disputed) if disputed in figs else 0,
                                key="c.disputes", format_func=lambda o: "—" if o == NONE else o)
        if disputed:
            base = {k: v for k, v in figs[disputed].items() if k not in ("id", "quantity")}
            st.caption(ui.md("Give the figure your source states: it will stand beside the disputed one, each "
                             "with its source; neither overwrites the other."))
    st.subheader("The fact")
    node = fact_node(view, "c.fact", about) if kind == "a fact about an entity" else \
        figure_node(view, "c.fig", base)
    st.subheader("Where it is said")
    sid, new_source = source_inputs(view, "c.src")
    st.caption("Where in the document (give at least one)")
    at = record_inputs(fmt.LOCATOR, "c.at", columns=3)
    says = st.text_area("In your own words, one line *", key="c.says",
                        help="a paraphrase: never paste the document's sentences")
    confidence = st.selectbox("Confidence", ["stated", "estimated", "implied"], key="c.conf")
    st.subheader("Who you are (optional)")
    c1, c2 = st.columns(2)
    with c1:
        name = st.text_input("Name", key="c.name")
    with c2:
        contact = st.text_input("Contact", key="c.contact")
    statement = {"id": "pending/contribution", "at": at, "says": says.strip(), "confidence": confidence,
                 "assert": [node]}
    # as you type: the format's structural checks
    issues = proposals._structure(fmt.PROPOSED_STATEMENT, {**statement, "proposal": {"kind": "contribution",
                                                                                     "status": "proposed"}},
                                  "the statement")
    if not sid:
        issues.append("the source: pick one, or give the new source's id")
    if issues:
        st.info("Still to do before saving:\n\n" + "\n".join(f"- {ui.md(i)}" for i in issues[:12]))
    if st.button("Save the contribution for review", type="primary", key="c.save"):
        now = time.time()
        recent = [t for t in st.session_state.get("c.times", []) if now - t < RATE[1]]
        if len(recent) >= RATE[0]:
            st.error(f"At most {RATE[0]} contributions every {RATE[1] // 60} minutes: please wait before the next.")
            return
        s = make_settings()
        try:
            new_id = proposals.contribute(s, sid or "", statement, "dispute" if disputed and kind.startswith("a dispute")
                                          else "contribution", {"name": name, "contact": contact},
                                          disputed if kind.startswith("a dispute") else None, new_source)
        except proposals.ProposalError as e:
            st.error(ui.md(str(e)) + ("\n\n" + "\n".join(f"- {ui.md(p)}" for p in e.problems[:20]) if e.problems else ""))
            return
        st.session_state["c.times"] = recent + [now]
        st.success(ui.md(f"Saved as {new_id} in data/proposals/{sid}.yaml, for review."))
        ui.show(f'<a href="{ui.esc(ui.href("review", source=sid, item=new_id))}" target="_self">Open it on the '
                f'Review page</a>')
