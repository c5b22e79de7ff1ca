"""Benchmark `oretrace extract` against a curated source file as the gold standard.

    python3 bench/bench_extract.py                      # the seed report against catapa-indium-report.yaml
    python3 bench/bench_extract.py --document X --source ID [--gold data/sources/ID.yaml] [--json out.json]

How the scores are decided (nothing here knows the seed; any curated source can be the gold):

* Gold figures: every node with `quantity:` in the statements of the gold file, and in entity
  files whose `source:` is the gold source. Its subject is its `subject:`, else the node itself
  (an old-style flow that carries its own quantity). Its period is the node's `year` or
  `period_start`/`period_end`, else that of its subject when the subject is a flow of the gold file.
* Predicted figures: every statement of kind figure or table-cell in the proposals file, read back
  from the YAML the extractor wrote (proposed flows come from its `entities:` or, for relations, from
  the statement that declares them).
* A predicted figure matches a gold figure when all four agree:
  value - `value` equal (relative difference under 1e-6), or `min` and `max` both equal (an open
          end must be open in both), after converting both to the unit's base (t, kt -> t);
  unit  - the same base unit (t and kt agree after conversion; t and t/year do not);
  year  - the same year, the same period, or neither has one;
  subject - the same entity reference; or, when the gold subject is a flow, the same flow
          reference, or a proposed flow whose every end it gives (origin, destination) names the
          same countries as the gold flow's end (sites, places and regions count as their
          countries where the curated files say; an end the gold flow lacks cannot agree), giving
          at least one end. The flow's kind (export, import) and material are not compared.
  Matching is one-to-one, best-scored predictions first. Recall = matched gold / gold;
  precision = matched predictions / predictions.
* Entity links: the extractor's mentions linked to existing entities (the proposal-file format has
  no place for them, so they are read from the extraction run itself; the statements' references are
  a subset of them). A link
  is right when the gold source refers to that entity anywhere: in a statement of the gold file
  (a subject, an end, a value) or in an entity it introduces (entity files with its `source:`,
  and their values). Accuracy counts mentions; distinct precision/recall count entities. This is
  a document-level test: it cannot tell which of two right entities a given mention meant.
* Locators, for matched figures: right when every key the gold locator gives is given alike by
  the proposal - `figure`, `footnote`, `row`, `column` equal; `section` equal (the gold's
  "opening text (no heading)" means no section); `paragraph` equal when the section is. `page`
  counts only when the gold gives one. Precision = right / matched; recall = right / gold.
* Time: extraction in-process (reading, analysis, writing the YAML text; the interpreter's start
  and imports excluded), once cold (the first run in the process: lazy imports, pattern compiling,
  the registry read from data/) and once warm (the same run repeated, as for the second and later
  documents of a batch), per page of the document as read, and per 3,000 characters (about one
  printed page); the CLI's wall time is shown beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

from oretrace.config import Settings  # noqa: E402
from oretrace.units import UNITS, to_base  # noqa: E402

SEED = "seeds/000_16f2dc4e34440a02.txt"
PLACEHOLDER_SECTION = "opening text (no heading)"


def _as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def _load(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


# ------------------------------------------------------------------ gold
def gold_figures(gold_path: Path, source_id: str, data_dir: Path) -> tuple[list[dict], set[str], dict]:
    doc = _load(gold_path)
    nodes = {}
    for st in doc.get("statements") or []:
        for n in st.get("assert") or []:
            if isinstance(n, dict) and n.get("id"):
                nodes[n["id"]] = n
    figures = []
    refs: set[str] = set()

    def collect_refs(n: dict):
        for k, v in n.items():
            if k in ("label", "alt_label", "description", "quantity", "a", "measure", "method", "says"):
                continue
            for x in _as_list(v):
                if isinstance(x, str) and (re.match(r"^[a-z]+/[A-Za-z0-9-]+$", x) or re.match(r"^[A-Z][a-z]+$", x)):
                    refs.add(x)

    def add_figure(n: dict, st: dict):
        subj = n.get("subject") or n.get("id") or n.get("about")
        sn = nodes.get(subj, {}) if isinstance(subj, str) else {}
        year = n.get("year") or sn.get("year")
        period = None
        for src in (n, sn):
            if src.get("period_start"):
                period = (src["period_start"], src.get("period_end"))
                break
        if period and n.get("year"):
            period = None
        ends = None
        if isinstance(subj, str) and subj.startswith("flow/"):
            ends = {"origin": _as_list(sn.get("origin")), "destination": _as_list(sn.get("destination"))}
        figures.append({"statement": st.get("id"), "subject": subj, "ends": ends, "year": None if period else year,
                        "period": period, "quantity": n["quantity"], "at": st.get("at") or {}})

    for st in doc.get("statements") or []:
        for n in st.get("assert") or []:
            if not isinstance(n, dict):
                continue
            collect_refs(n)
            if "quantity" in n:
                add_figure(n, st)
    for path in sorted((data_dir / "entities").glob("*.yaml")):
        ed = _load(path)
        if not isinstance(ed, dict):
            continue
        default = ed.get("source")
        for n in ed.get("entities") or []:
            if not isinstance(n, dict) or (n.get("source") or default) != source_id:
                continue
            collect_refs(n)
            if "quantity" in n:
                add_figure(n, n)
    return figures, refs, nodes


# ------------------------------------------------------------------ predictions
def predicted(prop: dict) -> tuple[list[dict], dict]:
    flows = {}
    nodes = list(prop.get("entities") or []) + [n for st in prop.get("statements") or [] for n in st.get("assert") or []]
    for e in nodes:
        if str(e.get("id", "")).startswith("flow/"):
            flows[e["id"]] = e
    out = []
    for st in prop.get("statements") or []:
        p = st.get("proposal") or {}
        if p.get("kind") not in ("figure", "table-cell"):
            continue
        node = next((n for n in st.get("assert") or [] if "quantity" in n), None)
        if node is None:
            continue
        out.append({"statement": st["id"], "subject": node.get("subject"), "year": node.get("year"),
                    "period": (node["period_start"], node.get("period_end")) if node.get("period_start") else None,
                    "quantity": node["quantity"], "at": st.get("at") or {}, "score": p.get("score", 0),
                    "kind": p.get("kind"), "says": st.get("says")})
    return out, flows


# ------------------------------------------------------------------ matching
def _base(q: dict):
    unit = q.get("unit")
    if unit not in UNITS:
        return None
    out = {}
    for k in ("value", "min", "max"):
        if k in q and q[k] is not None:
            v, b = to_base(float(q[k]), unit)
            out[k] = v
            out["base"] = b
    return out


def _close(a, b) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def value_match(gq: dict, pq: dict) -> bool:
    g, p = _base(gq), _base(pq)
    if not g or not p or g.get("base") != p.get("base"):
        return False
    if "value" in g or "value" in p:
        return "value" in g and "value" in p and _close(g["value"], p["value"])
    return all((k in g) == (k in p) and (k not in g or _close(g[k], p[k])) for k in ("min", "max"))


def period_match(g: dict, p: dict) -> bool:
    gp = tuple(g["period"]) if g["period"] else None
    pp = tuple(p["period"]) if p["period"] else None
    return g["year"] == p["year"] and gp == pp


class Countries:
    def __init__(self, reg):
        self.reg = reg

    def of(self, ref: str) -> frozenset:
        c = self.reg.countries_of(ref)
        return frozenset(c) if c else frozenset([ref])


def subject_match(g: dict, p: dict, pflows: dict, countries: Countries) -> bool:
    if p["subject"] == g["subject"]:
        return True
    if not g["ends"] or not str(p["subject"]).startswith("flow/"):
        return False
    pf = pflows.get(p["subject"]) or countries.reg.entities.get(p["subject"]) and \
        countries.reg.entities[p["subject"]].values
    if not pf:
        return False
    given = 0
    for end in ("origin", "destination"):
        pv = _as_list(pf.get(end))
        if not pv:
            continue
        given += 1
        gv = g["ends"].get(end) or []
        if not gv:
            return False
        if frozenset().union(*[countries.of(x) for x in pv]) != frozenset().union(*[countries.of(x) for x in gv]):
            return False
    return given > 0


def _norm(s) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", str(s).lower().replace("\u2019", "'")))


def locator_match(gat: dict, pat: dict) -> bool:
    for k in ("figure", "footnote", "row", "column", "table"):
        if k in gat and k != "table":
            if k not in pat or _norm(gat[k]) != _norm(pat[k]):
                return False
    if "section" in gat:
        gs = _norm(gat["section"])
        if gs == _norm(PLACEHOLDER_SECTION):
            if pat.get("section"):
                return False
        elif _norm(pat.get("section", "")) != gs:
            return False
        if "paragraph" in gat and "paragraph" in pat and str(gat["paragraph"]) != str(pat["paragraph"]):
            return False
        if "paragraph" in gat and "paragraph" not in pat and "footnote" not in gat:
            return False
    if "page" in gat and str(gat["page"]) != str(pat.get("page")):
        return False
    return True


def score(gold: list[dict], preds: list[dict], pflows: dict, countries: Countries):
    used = set()
    pairs = []
    for p in sorted(preds, key=lambda p: -p["score"]):
        for i, g in enumerate(gold):
            if i in used:
                continue
            if value_match(g["quantity"], p["quantity"]) and period_match(g, p) and \
                    subject_match(g, p, pflows, countries):
                used.add(i)
                pairs.append((g, p))
                break
    return pairs, [g for i, g in enumerate(gold) if i not in used], [p for p in preds if p not in [q for _, q in pairs]]


def pct(a, b) -> str:
    return f"{100 * a / b:5.1f} %" if b else "  n/a"


# ------------------------------------------------------------------ run
def copied_check(text: str, shared: Path) -> int | None:
    tool = shared / "tools" / "copied-sentences"
    if not tool.is_file():
        return None
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "init", "-q", d], check=True)
        Path(d, "proposals.yaml").write_text(text, encoding="utf-8")
        r = subprocess.run([sys.executable, str(tool), d], capture_output=True, text=True)
        return len([ln for ln in r.stdout.splitlines() if ln.strip()])


def _shared() -> Path:
    """../shared beside the checkout ($ORETRACE_SHARED first; a worktree looks one level further up)."""
    if os.environ.get("ORETRACE_SHARED"):
        return Path(os.environ["ORETRACE_SHARED"])
    for parent in ROOT.parents:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared"
    return ROOT.parent / "shared"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = _shared()
    ap.add_argument("--document", type=Path, default=shared / SEED)
    ap.add_argument("--source", default="catapa-indium-report")
    ap.add_argument("--gold", type=Path, help="the curated gold file (default data/sources/SOURCE.yaml)")
    ap.add_argument("--json", type=Path, help="write the scores here")
    ap.add_argument("--show", action="store_true", help="list missed gold figures and unmatched predictions")
    args = ap.parse_args(argv)
    if not args.document.is_file():
        print(f"error: {args.document} not found (the seed lives in ../shared/seeds)", file=sys.stderr)
        return 2
    settings = Settings(root=ROOT)
    gold_path = args.gold or settings.data_dir / "sources" / f"{args.source}.yaml"
    from oretrace.extract import output, pipeline, registry

    results = {}
    for mode, blind in (("blind", True), ("known", False)):
        t0 = time.perf_counter()
        ex = pipeline.run(args.document, args.source, settings, blind=blind)
        text, _ = output.render(ex, settings)
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()  # again, with imports, compiled patterns and caches in place
        output.render(pipeline.run(args.document, args.source, settings, blind=blind), settings)
        warm = time.perf_counter() - t1
        prop = yaml.safe_load(text)
        gold, gold_refs, _ = gold_figures(gold_path, args.source, settings.data_dir)
        preds, pflows = predicted(prop)
        reg = registry.load(settings)
        pairs, missed, extra = score(gold, preds, pflows, Countries(reg))
        # entity links
        mentions = [{"ref": m.ref} for m in ex.mentions if m.by != "proposed"]
        right = [m for m in mentions if m["ref"] in gold_refs]
        linked = {m["ref"] for m in mentions}
        gold_linkable = {r for r in gold_refs if not r.startswith(("flow/", "observation/", "process/", "risk/"))}
        loc_ok = sum(locator_match(g["at"], p["at"]) for g, p in pairs)
        chars = sum(len(pg.text) for pg in ex.doc.pages)
        pages = len(ex.doc.pages)
        table_gold = [g for g in gold if "row" in g["at"]]
        table_pairs = [g for g, _ in pairs if "row" in g["at"]]
        results[mode] = {
            "gold_figures": len(gold), "predicted_figures": len(preds), "matched": len(pairs),
            "figure_recall": len(pairs) / len(gold) if gold else None,
            "figure_precision": len(pairs) / len(preds) if preds else None,
            "table_recall": len(table_pairs) / len(table_gold) if table_gold else None,
            "prose_recall": (len(pairs) - len(table_pairs)) / (len(gold) - len(table_gold))
            if len(gold) > len(table_gold) else None,
            "entity_mentions": len(mentions), "entity_mentions_right": len(right),
            "entity_link_accuracy": len(right) / len(mentions) if mentions else None,
            "entities_linked": len(linked), "entities_linked_right": len(linked & gold_refs),
            "entity_precision": len(linked & gold_refs) / len(linked) if linked else None,
            "entity_recall": len(linked & gold_linkable) / len(gold_linkable) if gold_linkable else None,
            "locator_precision": loc_ok / len(pairs) if pairs else None,
            "locator_recall": loc_ok / len(gold) if gold else None,
            "seconds": secs, "pages": pages, "characters": chars,
            "seconds_per_page": secs / pages, "warm_seconds_per_page": warm / pages,
            "seconds_per_3000_chars": secs / max(1, chars / 3000),
            "copied_lines": copied_check(text, shared),
        }
        if args.show and mode == "blind":
            print("missed gold figures:")
            for g in missed:
                print(f"  {g['statement']}: {g['subject']} {g['year'] or g['period']} {g['quantity']}")
            print("predictions matching no gold figure:")
            for p in extra:
                print(f"  {p['statement']}: {p['subject']} {p['year'] or p['period']} {p['quantity']}  | {p['says']}")
            print("locator differences (gold | proposed):")
            for g, p in pairs:
                if not locator_match(g["at"], p["at"]):
                    print(f"  {g['statement']}: {g['at']} | {p['at']}")
            wrong = sorted({m["ref"] for m in mentions if m["ref"] not in gold_refs})
            print("linked entities the gold never refers to:", ", ".join(wrong))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "oretrace", "extract", str(args.document), "--source", args.source,
                        "--blind", "--stdout", "-q"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    cli = time.perf_counter() - t0
    b, k = results["blind"], results["known"]
    rows = [
        ("figure recall (target >= 85 %)", pct(b["matched"], b["gold_figures"]), pct(k["matched"], k["gold_figures"])),
        ("figure precision (target >= 70 %)", pct(b["matched"], b["predicted_figures"]),
         pct(k["matched"], k["predicted_figures"])),
        ("  gold / predicted / matched", f"{b['gold_figures']}/{b['predicted_figures']}/{b['matched']}",
         f"{k['gold_figures']}/{k['predicted_figures']}/{k['matched']}"),
        ("  recall, table cells", _p(b["table_recall"]), _p(k["table_recall"])),
        ("  recall, prose", _p(b["prose_recall"]), _p(k["prose_recall"])),
        ("entity-link accuracy (target >= 80 %)", _p(b["entity_link_accuracy"]), _p(k["entity_link_accuracy"])),
        ("  mentions linked / right", f"{b['entity_mentions']}/{b['entity_mentions_right']}",
         f"{k['entity_mentions']}/{k['entity_mentions_right']}"),
        ("  distinct entities: precision", _p(b["entity_precision"]), _p(k["entity_precision"])),
        ("  distinct entities: recall", _p(b["entity_recall"]), _p(k["entity_recall"])),
        ("locator precision (of matched)", _p(b["locator_precision"]), _p(k["locator_precision"])),
        ("locator recall (of gold)", _p(b["locator_recall"]), _p(k["locator_recall"])),
        ("seconds per page, first run in process", f"{b['seconds_per_page']:.3f}", f"{k['seconds_per_page']:.3f}"),
        ("seconds per page, warm (target < 0.5)", f"{b['warm_seconds_per_page']:.3f}",
         f"{k['warm_seconds_per_page']:.3f}"),
        ("seconds per 3,000 characters", f"{b['seconds_per_3000_chars']:.3f}", f"{k['seconds_per_3000_chars']:.3f}"),
        ("pages / characters", f"{b['pages']} / {b['characters']:,}", f"{k['pages']} / {k['characters']:,}"),
        ("CLI wall time, s (interpreter included)", f"{cli:.2f}" if r.returncode == 0 else f"failed ({r.returncode})", ""),
        ("lines copied-sentences reports", str(b["copied_lines"]), str(k["copied_lines"])),
    ]
    print(f"\n{args.document.name} against {gold_path.relative_to(ROOT) if gold_path.is_relative_to(ROOT) else gold_path}")
    print(f"| {'measure':42} | {'blind':>14} | {'source known':>14} |")
    print(f"|{'-' * 44}|{'-' * 16}|{'-' * 16}|")
    for name, a, c in rows:
        print(f"| {name:42} | {a:>14} | {c:>14} |")
    print("blind: the gold file's cited sources, statements and entities are hidden from the extractor; "
          "source known: they are visible, as for a re-extraction")
    if args.json:
        args.json.write_text(json.dumps({"cli_seconds": cli, **results}, indent=2))
    return 0


def _p(v) -> str:
    return f"{100 * v:5.1f} %" if v is not None else "  n/a"


if __name__ == "__main__":
    sys.exit(main())
