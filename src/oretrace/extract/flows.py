"""The flow a trade figure is about: its kind (export, import, sale, shipment) and its ends
(origin, destination, via, buyer, seller) from the prepositions before the names in its clause,
then its sentence, then earlier in the section; the flow the curated files already declare, or a
new proposed one with a readable id.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .mentions import slugify
from .model import Fact, unique
from .registry import Registry

if TYPE_CHECKING:
    from .figures import Context

_ROLE_BEFORE = re.compile(r"(?:\b(?P<p>from|to|into|towards|in|inside|within|at|by|of|for)\s+(?:the\s+)?(?:port of\s+)?$)", re.I)
FLOW_KINDS = [
    ("clause", r"\bsold to\b|\bsale", "Sale"),
    ("clause", r"export", "Export"),
    ("clause", r"import|\barriv|\bcame from\b|\blanded\b", "Import"),
    ("clause", r"\btrip|voyage|shipp|transport|\bsea\b|\bcarr", "Shipment"),
    ("clause", r"domestic|locally|local consumption|inside|within|transformed|processed", "Flow"),
    ("sentence", r"export", "Export"),
    ("sentence", r"import|\barriv", "Import"),
]


def flow_subject(f: Fact, sent, ctx: Context, clause, c_start, smen, cmen, measure, text) -> bool:
    """The flow a trade figure is about: its kind and its ends, from the clause and sentence."""
    low_clause = clause.lower()
    low = text.lower()
    if measure == "ShareOfWhole" and re.search(r"\bsold to\b", low):
        low_clause += " sold to"
    # the kind of flow: the clause's words first, then the sentence's
    kind = next((k for scope, rx, k in FLOW_KINDS if re.search(rx, low_clause if scope == "clause" else low)),
                "Shipment" if measure in ("Distance", "Duration", "CargoPerVoyage") else "Flow")
    roles: dict[str, list[str]] = {"origin": [], "destination": [], "via": [], "buyer": [], "seller": []}
    off = sent.start

    def assign(ms, scope_text, scope_off):
        for m in ms:
            if m.kind not in ("country", "region", "place", "site", "actor"):
                continue
            rel = m.start - scope_off
            lead = scope_text[max(0, rel - 24):rel]
            tail = scope_text[m.end - scope_off:m.end - scope_off + 24].lower()
            pm = _ROLE_BEFORE.search(lead)
            p = pm.group("p").lower() if pm else None
            if m.kind == "actor":
                if re.search(r"\bsold to\s+(?:the\s+)?$", lead.lower()) or (p == "to" and kind == "Sale"):
                    roles["buyer"].append(m.ref)
                elif p == "by":
                    roles["seller"].append(m.ref)
                continue
            if p == "from":
                roles["origin"].append(m.ref)
            elif p in ("to", "into", "towards"):
                roles["destination"].append(m.ref)
            elif p == "at":  # "arrives at Chilean ports", "exported at the port of Arica"
                (roles["destination"] if kind in ("Import", "Shipment") or m.kind != "site" else roles["via"]).append(m.ref)
            elif p in ("in", "inside", "within"):
                (roles["origin"] if kind == "Export" else roles["destination"]).append(m.ref)
            elif m.by == "demonym" or re.match(r"^\s*(?:exports?|imports?|exported|imported|produced)\b", tail):
                if re.match(r"^\s*(?:imports?|imported)\b", tail) or (m.by == "demonym" and re.match(r"^\s*imports?\b", tail)):
                    roles["destination"].append(m.ref)
                else:
                    roles["origin"].append(m.ref)

    assign(cmen, sent.text, off)
    if not roles["origin"] and not roles["destination"]:
        # the nearest role-bearing name before the clause ("French export of ... 30 t; ... 46 %")
        for m in reversed([m for m in smen if m.start - off < c_start]):
            assign([m], sent.text, off)
            if roles["origin"] or roles["destination"]:
                break
        # the parts of an inflow ("arriving in Belgium ... divided into 36 %, 39 % ...") leave from it
        if roles["destination"] and kind in ("Export", "Flow") and measure == "ShareOfWhole":
            roles["origin"], roles["destination"] = roles["destination"], []
            cl = [m for m in cmen if m.kind in ("country", "region", "place")]
            if cl:
                roles["destination"] = [cl[0].ref]
    elif not roles["origin"] and kind in ("Export", "Flow") and measure == "ShareOfWhole":
        # "Of the ore arriving in A, 39 % went to B": the part leaves from where the whole arrived
        prefix = [m for m in smen if m.start - off < c_start and m.kind in ("country", "region")
                  and m.ref not in roles["destination"]]
        if prefix:
            roles["origin"] = [prefix[0].ref]
    if not roles["origin"] and not roles["destination"] and kind in ("Export", "Import") and \
            re.search(r"export|import", low):
        # earlier in the section: the most recent country names the exporter (or importer)
        for m in reversed(ctx.history[-30:]):
            if m.kind == "country":
                (roles["destination"] if kind == "Import" else roles["origin"]).append(m.ref)
                f.score -= 0.1
                break
    if not any(roles.values()):
        return False
    flow = {"a": kind}
    for k in ("origin", "destination", "via", "seller", "buyer"):
        vals = list(dict.fromkeys(roles[k]))
        if vals:
            flow[k] = vals[0] if len(vals) == 1 else vals
    if f.material:
        flow["material"] = f.material
    if f.year:
        flow["year"] = f.year
    elif f.period:
        flow["period_start"], flow["period_end"] = f.period
    ref = flow_ref(ctx, flow)
    f.subject = ref
    if ref in ctx.flow_nodes:
        f.new_entities.append(dict(ctx.flow_nodes[ref], id=ref))
    for m in smen:
        if m.ref in [v for vs in roles.values() for v in vs]:
            f.links.append(m)
    return True


def _flow_key(flow: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in flow.items()))


def existing_flow(reg: Registry, flow: dict) -> str | None:
    """A flow the curated files already declare with the same kind, ends and period."""
    for ref, e in reg.entities.items():
        if e.kind != "flow" or flow["a"] not in e.classes:
            continue
        ok = True
        for k in ("origin", "destination", "year", "period_start", "period_end", "buyer"):
            a, b = flow.get(k), e.values.get(k)
            if isinstance(a, tuple):
                a = list(a)
            if (a or b) and a != b:
                ok = False
                break
        if ok:
            return ref
    return None


def proposed_flow(ctx: Context, flow: dict) -> str:
    key = _flow_key(flow)
    if key in ctx.flows:
        return ctx.flows[key]
    reg = ctx.reg

    def short(ref):
        if not ref:
            return None
        if isinstance(ref, list):
            return "-".join(short(r) for r in ref[:3])
        if ref.startswith(("country/", "region/")):
            return ref.split("/", 1)[1].lower()
        return ref.split("/", 1)[1][:20]

    parts = [short(flow.get("origin")), short(flow.get("destination")) and "to-" + short(flow.get("destination")),
             short(flow.get("via")) and "via-" + short(flow.get("via")),
             short(flow.get("buyer")) and "sold-to-" + short(flow.get("buyer")),
             flow.get("material") and slugify(reg.label(flow["material"]))[:24], flow["a"].lower(),
             str(flow.get("year") or flow.get("period_start") or "") + (f"-{flow['period_end']}" if flow.get("period_end") else "")]
    slug = slugify("-".join(p for p in parts if p)) or "flow"
    ref = unique(f"flow/{slug}", set(reg.entities) | set(ctx.flows.values()))
    ctx.flows[key] = ref
    ctx.flow_nodes[ref] = dict(flow)
    return ref

def flow_ref(ctx: Context, flow: dict) -> str:
    """The curated flow with these fields, or else the proposed one (made once per document)."""
    return existing_flow(ctx.reg, flow) or proposed_flow(ctx, flow)
