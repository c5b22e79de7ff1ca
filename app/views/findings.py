"""Findings: the SHACL validation report per rule, royalty gaps, mass-balance and source-disagreement warnings."""

from __future__ import annotations

from collections import defaultdict

import streamlit as st

import ui


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("Findings", "What is missing or contradicted, and which statements to fix.")
    results = g.validation_results()
    summary = g.validation_summary()
    gaps, balance, disagree = g.royalty_gaps(), g.mass_balance(), g.disagreements()
    c = st.columns(4)
    by = summary["by_severity"]
    c[0].metric("Violations (SHACL)", by.get("Violation", 0) if summary["present"] else "no report",
                help="Results of severity Violation in the validation report: a rule of the data model is broken.")
    c[1].metric("Warnings (SHACL)", by.get("Warning", 0) + by.get("Info", 0) if summary["present"] else "no report",
                help="Results of severity Warning or Info: something is missing or does not add up.")
    c[2].metric("Royalty gaps", len(gaps), help="Exports of mined indium-bearing material without a declared royalty.")
    c[3].metric("Source disagreements", len(disagree),
                help="Pairs of figures for the same thing, year and unit that sources give differently.")

    st.subheader("Validation report (SHACL)")
    if not summary["present"]:
        st.info("This graph holds no validation report (graph …/graph/validation): run `oretrace validate` or rebuild.")
    elif not results:
        st.success("Every SHACL rule holds.")
    else:
        info = g.shape_info()
        by_rule = defaultdict(list)
        for r in results:
            by_rule[r["shape"] or r["component"] or "unnamed rule"].append(r)
        names = g.labels({x for r in results for x in (r["focus"], r["path"], r["value"], r["st"]) if x})
        rule_filter = st.query_params.get("rule")
        rows = []
        for rule, rs in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
            sev = sorted({(r["severity"] or "#Violation").rsplit("#", 1)[-1] for r in rs})
            title = (info.get(rule) or {}).get("name") or g.short(rule)
            rows.append([f'<a href="{ui.esc(ui.href("findings", rule=rule))}" target="_self">{ui.esc(title)}</a>',
                         ui.esc(len({r["focus"] for r in rs})), ui.esc(", ".join(sev)),
                         ui.esc((info.get(rule) or {}).get("desc") or rs[0]["message"] or "")])
        ui.show(ui.table(["rule", "entities", "severity", "what it checks"], rows))
        for rule, rs in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
            if rule_filter and rule != rule_filter:
                continue
            title = (info.get(rule) or {}).get("name") or g.short(rule)
            with st.expander(ui.md(f"{title}: {len(rs)}") + f" result{'s' if len(rs) != 1 else ''}", expanded=bool(rule_filter)):
                seen, body = set(), []
                for r in rs:
                    key = (r["focus"], r["path"], r["value"], r["message"])
                    sts = sorted({x["st"] for x in rs if x["focus"] == r["focus"] and x["st"]})
                    if key in seen:
                        continue
                    seen.add(key)
                    body.append([ui.value_html(g, r["focus"], names), ui.value_html(g, r["path"], names) if r["path"] else "",
                                 ui.value_html(g, r["value"], names) if r["value"] is not None else "",
                                 ui.esc(r["message"] or ""),
                                 "<br>".join(ui.link(s, g.short(s).replace("statement/", "")) for s in sts[:6])])
                ui.show(ui.table(["entity", "property", "value", "message", "statements to fix"], body))

    st.subheader("Royalty gaps")
    st.caption("Exports of indium-bearing ore or concentrate for which no royalty is declared, or nothing is said about royalty.")
    if gaps:
        gl = g.labels({x for r in gaps for x in (r["f"], r["status"], r["law"]) if x})
        ui.show(ui.table(["export", "royalty status", "law", "year"],
                         [[ui.link(r["f"], gl[r["f"]]), ui.value_html(g, r["status"], gl) if r["status"] else "not stated",
                           ui.value_html(g, r["law"], gl) if r["law"] else "", ui.esc(r["year"] or "")] for r in gaps]))
    else:
        st.write("None found.")

    st.subheader("Parts adding up to more than the whole")
    st.caption("Flows whose stated parts add up to more tonnes than the flow itself. (Yearly production against "
               "exports is checked by rule X1 of the validation report above.)")
    if balance:
        bl = g.labels({r["whole"] for r in balance})
        ui.show(ui.table(["flow", "stated total", "sum of parts", "parts"],
                         [[ui.link(r["whole"], bl[r["whole"]]), ui.esc(f"{r['wv']:g} {g.short(r['wu'])}"),
                           ui.esc(f"{r['parts']:g}"), ui.esc(r["n"])] for r in balance]))
    else:
        st.write("None found.")

    st.subheader("Sources disagree")
    st.caption("Two figures of the same kind, for the same subject, material and year, with different values.")
    if disagree:
        dl = g.labels({x for r in disagree for x in (r["a"], r["b"], r["subject"], r["cls"], r["material"]) if x})
        ui.show(ui.table(["subject", "measure", "year", "one figure", "another figure"],
                         [[ui.link(r["subject"], dl[r["subject"]]), ui.esc(dl.get(r["cls"], "")), ui.esc(r["year"]),
                           f'{ui.link(r["a"], dl[r["a"]])}: {ui.esc(r["va"])}', f'{ui.link(r["b"], dl[r["b"]])}: {ui.esc(r["vb"])}']
                          for r in disagree]))
    else:
        st.write("None found.")
