"""Tables printed as text: rows of labels against columns of years ('80 '81 ... or 2019 2020e), or
countries against figures, in the forms statistical agencies print: footnote markers between a
row's label and its values, dashes for zero, NA / W / (D) for withheld, "e" for estimated,
thousands separators, and a units line above or below the header.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .figures import Context
from .flows import flow_ref
from .lexicon import MEASURES, dimension, measure_for
from .mentions import Mention
from .model import Fact
from .numbers import notation, plain, read_digits
from .structure import YEAR_TOKEN, Block, _cells, is_table_row, is_year_header, value_tail

WITHHELD = {"NA", "W", "(D)", "D", "XX", "X", "n.a.", "na", "n/a", "..", "\u2026", "--", "(NA)", "(W)"}
ZERO = {"-", "\u2013", "\u2014", "nil", "0"}
UNITS_LINE = re.compile(
    r"\b(?P<u>thousand (?:metric )?(?:tonnes|tons)|kilo ?tonnes|\bkt\b|million (?:metric )?(?:tonnes|tons)|"
    r"metric tons|tonnes|tons|kilograms|\bkg\b|percent|per ?cent|%|ppm|US\$|USD|US dollars|euros?|EUR|\u20ac)",
    re.I)


def _unit_of(text: str) -> tuple[str, float] | None:
    m = UNITS_LINE.search(text)
    if not m:
        return None
    u = m.group("u").lower()
    if u.startswith("thousand") or u in ("kilotonnes", "kilo tonnes", "kt"):
        return "kt", 1.0
    if u.startswith("million"):
        return "kt", 1000.0
    if u in ("metric tons", "tonnes", "tons"):
        return "t", 1.0
    if u in ("kilograms", "kg"):
        return "kg", 1.0
    if u in ("percent", "per cent", "percent", "%"):
        return "percent", 1.0
    if u == "ppm":
        return "ppm", 1.0
    if u in ("us$", "usd", "us dollars"):
        return "USD", 1.0
    return "EUR", 1.0


def _year_of(tok: str) -> tuple[int, bool] | None:
    t = tok.strip()
    m = re.match(r"^['\u2019\u2018](\d\d)(.*)$", t)
    if m:
        yy = int(m.group(1))
        import datetime

        now = datetime.date.today().year % 100
        return (2000 + yy if yy <= now else 1900 + yy), "e" in m.group(2).lower()
    m = re.match(r"^((?:1[89]|20)\d\d)(.*)$", t)
    if m:
        return int(m.group(1)), bool(re.match(r"^(?:e|\(e\)|est\.?|p|\*)$", m.group(2).strip().lower()))
    return None


def table_facts(block: Block, ctx: Context, before: list[Block], page_text: str) -> list[Fact]:
    lines = [(s, e, page_text[s:e]) for s, e in block.lines]
    header = None
    years: list[tuple[int, bool]] = []
    headings: list[str] = []
    for s, e, ln in lines:
        if is_year_header(ln):
            header = (s, e, ln)
            cells = _cells(ln)
            years = [y for y in (_year_of(c) for c in cells if YEAR_TOKEN.match(c)) if y]
            headings = [c for c in cells if YEAR_TOKEN.match(c)]
            break
    context_text = " ".join(b.text for b in before)
    unit = None
    unit_line = None
    for s, e, ln in lines:
        if (s, e, ln) == header or is_table_row(ln):
            continue
        u = _unit_of(ln)
        if u:
            unit, unit_line = u, ln
            break
    if unit is None:
        for b in reversed(before):
            u = _unit_of(b.text)
            if u:
                unit = u
                break
    if unit is None:
        return []
    # the table's own notation: its unambiguous values decide, else the document's
    decimal = notation([ln for _, _, ln in lines]) if _decided(lines) else ctx.decimal
    # what the table is about, from its caption, title lines and units line
    ctx_mentions = [m for m in ctx.history if any(b.page == m.page and b.start <= m.start < b.end for b in before)]
    # the table's subject: the country its caption names first, else the one its lines name most
    captions = [b for b in before if b.kind == "caption"]
    cap_mentions = [m for m in ctx_mentions if any(b.start <= m.start < b.end and b.page == m.page for b in captions)]
    ctx_subject = next((m for m in cap_mentions if m.kind == "country"), None)
    if ctx_subject is None:
        from collections import Counter

        counts = Counter(m.ref for m in ctx_mentions + [m for m in ctx.mentions] if m.kind == "country")
        if counts:
            top = counts.most_common(1)[0][0]
            ctx_subject = next(m for m in ctx_mentions + ctx.mentions if m.ref == top)
    ctx_measure, _ = measure_for(context_text + " " + (unit_line or ""), dimension(unit[0]))
    # a line of measure names above the years ("Mine production    Reserves"): the first names the
    # year columns, each later one the column after them
    groups: list[str] = []
    if header:
        above = page_text[:header[0]].rstrip("\n").rsplit("\n", 1)[-1]
        for part in re.split(r"\s{2,}|\t|\s*\|\s*", above.strip()):
            m, _ = measure_for(part, dimension(unit[0]))
            if m:
                groups.append(m)
        if len(groups) < 2:
            groups = []
    rows = [(s, e, ln) for s, e, ln in lines if not (header and s == header[0]) and _row(ln)]
    def label_is_name(s, ln):
        # the row's label is a name and little else ("Peru(1)", "China e"), not a phrase naming one
        label = re.split(r"\s{2,}|\t|\|", ln.strip(), maxsplit=1)[0]
        covered = sum(m.end - m.start for m in ctx.mentions if s <= m.start < s + len(ln) - len(ln.lstrip()) + len(label)
                      and m.kind in ("country", "region", "site", "actor", "place"))
        return covered >= 0.6 * len(re.sub(r"[\W\d_]+", "", label) or "x")

    named = sum(1 for s, e, ln in rows if label_is_name(s, ln))
    entity_rows = named >= max(2, len(rows) // 2)  # a table of countries (or sites) against figures
    facts = []
    for s, e, ln in rows:
        cells = _cells(ln)
        vals = cells[len(cells) - value_tail(cells):]
        label_cells = cells[:len(cells) - len(vals)]
        ncols = (len(years) + max(0, len(groups) - 1)) if years else len(vals)
        if years and len(vals) > ncols:
            # footnote markers between the label and the values ("Peru 2 1,400,000 ...")
            extra = vals[:len(vals) - ncols]
            if all(re.fullmatch(r"\d{1,2}|\(\d{1,2}\)|\d{1,2}/|[a-z*\u2020]", x) for x in extra):
                vals = vals[len(extra):]
        label = " ".join(label_cells).strip()
        label = re.sub(r"(?<=[a-z])\d{1,2}$|\s*(?:\(\d{1,2}\)|\d{1,2}/|[*\u2020])$", "", label).strip(" .:")
        m_e = re.search(r"\s+e$", label)
        row_estimated = bool(m_e)
        if m_e:
            label = label[:m_e.start()]
        if not label:
            continue
        row_mentions = [m for m in ctx.mentions if s <= m.start < s + len(" ".join(label_cells)) + 1]
        dim = dimension(unit[0])
        row_measure, mscore = measure_for(label, dim)
        positions = _value_positions(ln, vals, s)
        for col, (tok, (ps, pe)) in enumerate(zip(vals, positions)):
            year, col_est = (years[col] if years and col < len(years) else (None, False))
            measure = row_measure
            if measure is None and groups:
                gi = 0 if col < max(1, len(years)) else min(len(groups) - 1, col - max(1, len(years)) + 1)
                measure = groups[gi]
            if measure is None:
                measure = ctx_measure or ("TotalProduction" if dim == "mass" else None)
            if measure is None:
                continue
            cls = ctx.reg.measures.get(measure, {}).get("class") or MEASURES[measure][0]
            t = tok.strip()
            est = col_est or row_estimated or bool(re.search(r"(?<=\d)e$|^e(?=\d)", t))
            if t.strip("()") in {w.strip("()") for w in WITHHELD}:
                continue  # withheld or not available: no figure
            if t in ZERO:
                value = Decimal(0)
            else:
                t2 = re.sub(r"(?<=\d)[eEpr*]$|^e(?=\d)|[<>~]", "", t).rstrip("%")
                value, _ = read_digits(t2, decimal)
                if value is None:
                    continue
            value = value * Decimal(str(unit[1]))
            f = Fact("table-cell", block.page, s, e, (ps, pe), measure, cls)
            f.quantity = {"value": plain(value), "unit": unit[0]}
            if est:
                f.quantity["estimated"] = True
                f.confidence = "estimated"
            f.year = year
            if measure in ("ExportQuantity", "ImportQuantity", "ShipmentQuantity") or \
                    re.search(r"export|import", label, re.I):
                if not _row_flow(f, label, row_mentions, ctx, s):
                    continue
            else:
                subj = next((m for m in row_mentions if m.kind in ("country", "region", "site", "actor", "place")),
                            None)
                if subj is None and not entity_rows:
                    subj = ctx_subject  # rows of measures about the table's one subject
                if subj is None:
                    continue
                f.subject = subj.ref
                f.links.append(subj)
            mat = next((m for m in row_mentions if m.kind == "material"), None) or \
                next((m for m in reversed(ctx_mentions) if m.kind == "material"), None) or \
                next((m for m in reversed(ctx_mentions) if m.kind == "element"), None)
            if mat:
                f.material = mat.ref
            loc = {}
            if block.section:
                loc["section"] = block.section
            if block.figure:
                loc["figure"] = block.figure
            if block.table:
                loc["table"] = block.table
            loc["row"] = label
            if headings and col < len(headings):
                loc["column"] = headings[col]
            f.locator = loc
            f.score = round(min(0.95, 0.55 + (0.15 if mscore else 0) + (0.15 if year else 0) +
                                (0.1 if row_mentions else 0)), 2)
            cit = [c for c in ctx.citations if any(b.start <= c.start < b.end and b.page == c.page for b in before)]
            if cit and cit[0].source:
                f.cites = [cit[0].source]
            facts.append(f)
    return facts


def _row(line: str) -> bool:
    """A table row: a label and values, or (inside a table) a label and dashes or NA only."""
    if is_table_row(line):
        return True
    cells = _cells(line)
    tail = value_tail(cells)
    return 2 <= tail < len(cells)


def _decided(lines) -> bool:
    for _, _, ln in lines:
        for c in _cells(ln):
            if re.fullmatch(r"\d{4,}[.,]\d+|\d+[.,]\d{1,2}|\d+[.,]\d{4,}|\d{1,3}(?:[.,]\d{3}){2,}", c):
                return True
    return False


def _value_positions(line: str, vals: list[str], offset: int) -> list[tuple[int, int]]:
    out = []
    pos = len(line)
    for v in reversed(vals):
        i = line.rfind(v, 0, pos)
        if i < 0:
            out.append((offset, offset + len(line)))
            continue
        out.append((offset + i, offset + i + len(v)))
        pos = i
    return list(reversed(out))


def _row_flow(f: Fact, label: str, row_mentions: list[Mention], ctx: Context, row_start: int) -> bool:
    kind = "Import" if re.search(r"import", label, re.I) else "Export"
    roles = {"origin": [], "destination": []}
    for m in row_mentions:
        if m.kind not in ("country", "region", "place", "site"):
            continue
        rel = m.start - row_start
        lead = label[max(0, rel - 12):rel].lower() if rel <= len(label) else ""
        if re.search(r"\bfrom\s+(?:the\s+)?$", lead):
            roles["origin"].append(m.ref)
        elif re.search(r"\b(?:to|into)\s+(?:the\s+)?$", lead):
            roles["destination"].append(m.ref)
        elif re.search(r"\bin\s+(?:the\s+)?$", lead):
            (roles["destination"] if kind == "Import" else roles["origin"]).append(m.ref)
        elif m.by == "demonym":
            (roles["destination"] if kind == "Import" else roles["origin"]).append(m.ref)
    if not roles["origin"] and not roles["destination"]:
        return False
    flow = {"a": kind}
    for k, v in roles.items():
        if v:
            flow[k] = v[0]
    mat = next((m for m in row_mentions if m.kind == "material"), None)
    if mat:
        flow["material"] = mat.ref
    if f.year:
        flow["year"] = f.year
    ref = flow_ref(ctx, flow)
    f.subject = ref
    f.measure = "ImportQuantity" if kind == "Import" else "ExportQuantity"
    f.cls = ctx.reg.measures.get(f.measure, {}).get("class") or MEASURES[f.measure][0]
    if ref in ctx.flow_nodes:
        f.new_entities.append(dict(ctx.flow_nodes[ref], id=ref))
    f.links.extend(m for m in row_mentions if m.ref in roles["origin"] + roles["destination"])
    return True
