"""Relations from the common phrasings: owned by, operated by, a subsidiary of, current owner of,
taken over by, sold to, exported to, processed in, produced at, located in.

The subject of a phrase is the entity the clause is about: the nearest fitting mention before
the phrase, or, in a footnote that opens with the phrase ("Owned by ..."), the entity the
footnote's marker follows in the text.
"""

from __future__ import annotations

import re

from .figures import Context
from .flows import flow_ref
from .mentions import Mention, slugify
from .model import Fact
from .structure import Sentence

ORG = ("actor",)
HOLDER = ("site", "actor", "project")
WHERE = ("place", "country", "region", "site")
PHRASES = [
    (re.compile(r"\b(?:is |are |was |were )?(?:owned|held) by\b", re.I), "owned_by", HOLDER, ORG, False),
    (re.compile(r"\b(?:is |are |was |were )?(?:operated|run|managed) by\b", re.I), "operated_by", HOLDER, ORG, False),
    (re.compile(r"\b(?:is |was )?(?:a |the )?(?:wholly[- ]owned )?subsidiary of\b", re.I), "subsidiary_of", ORG, ORG,
     False),
    (re.compile(r"\b(?:the )?(?:current |new |former )?owner of\b", re.I), "owned_by", HOLDER, ORG, True),
    (re.compile(r"\b(?:was |were |is )?(?:taken over|acquired|bought) by\b", re.I), "owned_by", HOLDER, ORG, False),
    (re.compile(r"\b(?:is |are |was |were )?(?:located|situated) (?:in|at)\b", re.I), "located_in",
     ("site", "actor", "place"), WHERE, False),
    (re.compile(r"\b(?:headquartered|based) in\b", re.I), "headquartered_in", ORG, WHERE, False),
]
SOLD_TO = re.compile(r"\bsold to\b", re.I)
EXPORTED_TO = re.compile(r"\b(?:are |is |were |was )?exported to\b", re.I)
PROCESSED_IN = re.compile(r"\b(?:processed|refined|smelted|treated) (?:in|at)\b", re.I)
PRODUCED_AT = re.compile(r"\b(?:produced|made|manufactured) (?:in|at)\b", re.I)


def sentence_relations(sent: Sentence, ctx: Context, referent: Mention | None) -> list[Fact]:
    text = sent.text
    off = sent.start
    men = [m for m in ctx.mentions if sent.start <= m.start < sent.end]
    out: list[Fact] = []
    topic = None  # the subject a chain of phrases shares ("owned by A and operated by B")
    for rx, prop, skinds, okinds, inverse in PHRASES:
        for pm in rx.finditer(text):
            ps, pe = off + pm.start(), off + pm.end()
            obj = next((m for m in men if m.start >= pe and m.start - pe <= 40 and m.kind in okinds), None)
            if obj is None:
                continue
            before = [m for m in men if m.end <= ps and m.kind in skinds and ps - m.end <= 80 and m.ref != obj.ref]
            if inverse:
                # "Trafigura, current owner of Nyrstar": the object owns, the name after is owned
                subj, obj = obj, (before[-1] if before else None)
                if obj is None or obj.kind not in ORG:
                    continue
            elif prop == "subsidiary_of":
                subj = before[-1] if before else None
            else:
                lead = text[:pm.start()].strip(" ,;")
                opens = not lead or re.fullmatch(r"(?:located in [^,]*(?:, [^,]*)?|and|,)", lead, re.I) is not None
                subj = None
                if before and not (sent.block.kind == "footnote" and referent is not None and
                                   before[-1].kind in ("place", "country", "region")):
                    subj = before[0] if prop in ("owned_by", "operated_by") else before[-1]
                    if sent.block.kind == "footnote" and referent is not None and subj.kind not in HOLDER:
                        subj = None
                if subj is None and (sent.block.kind == "footnote" or opens) and referent is not None:
                    subj = referent
                if subj is None:
                    subj = topic
            if topic is not None and prop in ("owned_by", "operated_by") and \
                    re.search(r"(?:,|\band)\s*$", text[:pm.start()]) and not inverse:
                subj = topic  # "owned by A, ..., and operated by B": one subject for the chain
            if subj is None or subj.ref == obj.ref:
                continue
            topic = subj if prop in ("owned_by", "operated_by", "located_in") else topic
            f = Fact("relation", sent.page, sent.start, sent.end, (ps, pe))
            f.about = subj.ref
            f.facts = {prop: obj.ref}
            f.links = [subj, obj]
            f.locator = dict(sent.block.locator())
            f.score = 0.7 if subj is not referent else 0.6
            out.append(f)
    out += _trade_relations(sent, ctx, men)
    return out


def _trade_relations(sent: Sentence, ctx: Context, men: list[Mention]) -> list[Fact]:
    text = sent.text
    off = sent.start
    out = []
    dest_lists: list[Mention] = []
    for pm in EXPORTED_TO.finditer(text):
        ps, pe = off + pm.start(), off + pm.end()
        # the destinations listed after the phrase: countries separated by commas and "and"
        dests = []
        pos = pe
        for m in men:
            if m.start < pe or m.kind != "country":
                continue
            gap = text[pos - off:m.start - off]
            if not re.fullmatch(r"\s*(?:,|and|,\s*and|&)?\s*(?:the\s+)?", gap):
                break
            dests.append(m)
            pos = m.end
        if not dests:
            continue
        listed = {m.start for m in dest_lists}
        origin = next((m for m in reversed(men) if m.end <= ps and m.kind in ("country", "region")
                       and m.start not in listed), None)
        dest_lists.extend(dests)
        mat = next((m for m in reversed(men) if m.end <= ps and m.kind == "material"), None)
        for d in dests:
            if origin and d.ref == origin.ref:
                continue
            flow = {"a": "Export", "destination": d.ref}
            if origin:
                flow["origin"] = origin.ref
            if mat:
                flow["material"] = mat.ref
            out.append(_flow_fact(sent, ctx, flow, [x for x in (origin, d, mat) if x], (ps, d.end)))
    for pm in SOLD_TO.finditer(text):
        ps, pe = off + pm.start(), off + pm.end()
        buyers = [m for m in men if m.start >= pe and m.kind == "actor" and m.start - pe <= 120]
        if not buyers:
            continue
        mat = next((m for m in reversed(men) if m.end <= ps and m.kind == "material"), None)
        seller = next((m for m in reversed(men) if m.end <= ps and m.kind == "actor"), None)
        for b in buyers[:3]:
            flow = {"a": "Sale", "buyer": b.ref}
            if seller and seller.ref != b.ref:
                flow["seller"] = seller.ref
            if mat:
                flow["material"] = mat.ref
            out.append(_flow_fact(sent, ctx, flow, [x for x in (seller, b, mat) if x], (ps, b.end)))
    for rx, role in ((PROCESSED_IN, "input"), (PRODUCED_AT, "output")):
        for pm in rx.finditer(text):
            ps, pe = off + pm.start(), off + pm.end()
            where = next((m for m in men if m.start >= pe and m.start - pe <= 30 and m.kind in WHERE), None)
            mat = next((m for m in reversed(men) if m.end <= ps and m.kind in ("material", "element")), None)
            if where is None or mat is None:
                continue
            slug = slugify(f"{ctx.reg.label(mat.ref)} {'processing' if role == 'input' else 'production'} "
                           f"{ctx.reg.label(where.ref)}")[:60]
            ref = f"process/{slug}"
            f = Fact("relation", sent.page, sent.start, sent.end, (ps, where.end))
            node = {"id": ref, "a": "Process", role: mat.ref, "performed_at": where.ref}
            if ref in ctx.reg.entities:
                f.about = ref
                f.facts = {role: mat.ref, "performed_at": where.ref}
            else:
                f.new_entities.append(node)
                f.about = ref
            f.links = [mat, where]
            f.locator = dict(sent.block.locator())
            f.score = 0.45
            out.append(f)
    return out


def _flow_fact(sent, ctx, flow, links, focus) -> Fact:
    ref = flow_ref(ctx, flow)
    f = Fact("relation", sent.page, sent.start, sent.end, focus)
    f.about = ref
    if ref in ctx.flow_nodes:
        f.new_entities.append(dict(ctx.flow_nodes[ref], id=ref))
    else:
        f.facts = {k: v for k, v in flow.items() if k != "a"}
    f.links = links
    f.locator = dict(sent.block.locator())
    f.score = 0.55
    return f
