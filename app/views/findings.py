"""Findings: the SHACL validation report per rule, royalty gaps, mass-balance and source-disagreement warnings."""

from __future__ import annotations

from collections import defaultdict

import streamlit as st
from oretrace import figures

import ui
from components import download_csv, file_slug, table

# Plain-language themes of the validation rules, by the start of the shape's name (shapes/*.ttl).
THEMES = [("Royalties not declared, or without the law that sets them", ("R1", "R6")),
          ("Smelters' feed and due diligence", ("R2", "R3")),
          ("Quantities missing or not adding up", ("R4", "X1")),
          ("Who runs a site, who trades with whom", ("R5", "X3")),
          ("Sources without a date", ("SourceDated",))]
OTHER = "Other checks of the data model"


def theme_of(shape: str | None) -> str:
    local = (shape or "").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return next((t for t, prefixes in THEMES if local.startswith(prefixes)), OTHER)


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
        # one finding per entity, rule and message (a result repeated by several statements is merged)
        merged = {(r["shape"], r["focus"], r["path"], r["message"]): r for r in results}
        by_theme = defaultdict(list)
        for r in merged.values():
            by_theme[theme_of(r["shape"])].append(r)
        st.caption("Grouped by theme; a finding repeated by several statements is counted once.")
        ui.show(ui.table(["theme", "findings", "entities"],
                         [[ui.esc(t), ui.esc(len(rs)), ui.esc(len({r["focus"] for r in rs}))]
                          for t, rs in sorted(by_theme.items(), key=lambda kv: -len(kv[1]))]))
        fnames = g.labels({r["focus"] for r in merged.values()})
        download_csv(["theme", "rule", "severity", "entity", "message", "entity IRI"],
                     [[theme_of(r["shape"]), (info.get(r["shape"]) or {}).get("name") or g.short(r["shape"] or ""),
                       (r["severity"] or "#Violation").rsplit("#", 1)[-1], fnames.get(r["focus"], r["focus"]), r["message"] or "",
                       r["focus"]] for r in sorted(merged.values(), key=lambda r: (theme_of(r["shape"]), str(r["shape"]), str(r["focus"])))],
                     "findings", key="csv_findings")
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
        table(["rule", "entities", "severity", "what it checks"], rows, "validation-rules", key="rules_csv")
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
                table(["entity", "property", "value", "message", "statements to fix"], body,
                      f"findings-{file_slug(g, rule)}", key=f"rule_csv_{rule}")

    st.subheader("Numbers that do not add up")
    st.caption("What the reconciliation of material balances, element content, royalties and mirror statistics "
               "finds inconsistent (docs/reconciliation.md), with the statements to check against their sources. "
               "The Balance and Royalty pages show the figures behind each.")
    recon = g.named("reconciliation-findings")
    if recon:
        found: dict[str, dict] = {}
        for r in recon:  # one row per finding, its statements together
            f = found.setdefault(r["finding"], {"kind": r["kind"], "message": r["message"], "severity": r["severity"],
                                                "statements": [], "documents": []})
            if r["statement"] and r["statement"] not in f["statements"]:
                f["statements"].append(r["statement"])
            if r["documentTitle"] and r["documentTitle"] not in f["documents"]:
                f["documents"].append(r["documentTitle"])
        st.caption(f"{len(found)} finding{'s' if len(found) != 1 else ''}.")
        ui.show(ui.table(["kind", "finding", "statements to check", "documents"],
                         [[ui.esc(f["kind"]), ui.esc(f["message"]),
                           "<br>".join(ui.link(x, g.short(x).replace("statement/", "")) for x in f["statements"][:6]),
                           ui.esc("; ".join(f["documents"]))] for f in found.values()]))
        download_csv(["kind", "severity", "finding", "statements", "documents", "finding IRI"],
                     [[f["kind"], (f["severity"] or "").rsplit("#", 1)[-1], f["message"], " ".join(f["statements"]),
                       "; ".join(f["documents"]), k] for k, f in found.items()], "reconciliation-findings",
                     key="csv_reconciliation", label="Download these findings (CSV)")
    else:
        st.write("None in this build (build with `oretrace build --reconcile` to add the reconciliation's findings).")

    st.subheader("Royalty gaps")
    st.caption("Exports of indium-bearing ore or concentrate for which no royalty is declared, or nothing is said about royalty.")
    if gaps:
        gl = g.labels({x for r in gaps for x in (r["f"], r["status"], r["law"]) if x})
        ui.show(ui.table(["export", "royalty status", "law", "year"],
                         [[ui.link(r["f"], gl[r["f"]]), ui.value_html(g, r["status"], gl) if r["status"] else "not stated",
                           ui.value_html(g, r["law"], gl) if r["law"] else "", ui.esc(r["year"] or "")] for r in gaps]))
        download_csv(["export", "royalty status", "law", "year", "export IRI"],
                     [[gl[r["f"]], gl.get(r["status"], "") if r["status"] else "not stated", gl.get(r["law"], "") if r["law"] else "",
                       r["year"] or "", r["f"]] for r in gaps], "royalty-gaps", key="csv_gaps")
    else:
        st.write("None found.")

    st.subheader("Parts adding up to more than the whole")
    st.caption("Flows whose stated parts add up to more tonnes than the flow itself. (Yearly production against "
               "exports is checked by rule X1 of the validation report above.)")
    if balance:
        bl = g.labels({r["whole"] for r in balance})
        sym = lambda u: figures.SYMBOLS.get(u, g.short(u))  # noqa: E731
        table(["flow", "stated total", "sum of parts", "parts"],
              [[ui.link(r["whole"], bl[r["whole"]]), ui.esc(figures.quantity(figures.Figure(r["wv"], unit=r["wu"]))),
                ui.esc(f"{figures.number(r['parts'])} {sym(r['wu'])}"), ui.esc(r["n"])] for r in balance],
              "parts-more-than-whole", key="parts_csv")
    else:
        st.write("None found.")

    st.subheader("Sources disagree")
    st.caption("Two statements giving different values for the same property of a subject, or for the same figure "
               "(measure, subject, material, place, sector and period, in one unit): the catalogue's "
               "source-disagreements query, which the entity pages' badges follow too.")
    if disagree:
        dl = g.labels({x for r in disagree for x in (r["about"], r["compared"], r["document1"], r["document2"]) if x})
        ui.show(ui.table(["subject", "compared", "one statement", "another statement"],
                         [[ui.link(r["about"], dl[r["about"]]), ui.esc(dl.get(r["compared"], "")),
                           f'{ui.esc(figures.number(r["value1"]))} ({ui.link(r["statement1"], g.short(r["statement1"]))})',
                           f'{ui.esc(figures.number(r["value2"]))} ({ui.link(r["statement2"], g.short(r["statement2"]))})']
                          for r in disagree]))
        download_csv(["subject", "compared", "value 1", "source 1", "statement 1", "value 2", "source 2", "statement 2"],
                     [[dl[r["about"]], dl.get(r["compared"], ""), r["value1"], dl.get(r["document1"], ""), r["statement1"],
                       r["value2"], dl.get(r["document2"], ""), r["statement2"]] for r in disagree], "source-disagreements",
                     key="csv_disagree")
    else:
        st.write("None found.")
