"""One document in, proposals out: layout, mentions, citations, figures, tables, relations."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import citations as cit
from . import document, lexicon, mentions, numbers, registry, structure
from .figures import Context, sentence_figures
from .mentions import Mention
from .model import Fact
from .periods import years_in
from .relations import sentence_relations
from .tables import table_facts

CONNECTIVE = re.compile(r"^\s*(?:and|also|likewise|similarly|moreover|furthermore|in addition|besides|"
                        r"of (?:this|these|which)|this|these|it|they)\b", re.I)
MIN_SCORE = 0.3  # proposals scored lower are left out (a general floor, not tuned on any document)


@dataclass
class Extraction:
    doc: document.Document
    layout: structure.Layout
    reg: registry.Registry
    source_id: str
    facts: list[Fact]
    mentions: list[Mention]
    citations: list[cit.Citation]
    new_sources: dict[str, dict]  # proposed cited sources by id
    new_entities: dict[str, tuple[dict, Mention]]  # proposed entities by ref
    seconds: float = 0.0
    source_entry: dict | None = None
    stats: dict = field(default_factory=dict)


def run(path: str | Path, source_id: str, settings, blind: bool = False, min_score: float = MIN_SCORE,
        progress=None) -> Extraction:
    t0 = time.perf_counter()
    say = progress or (lambda msg: None)
    doc = document.read(path)
    say(f"read {doc.format} document: {len(doc.pages)} page{'s' if len(doc.pages) != 1 else ''}")
    reg = registry.load(settings, hide=source_id if blind else None)
    lexicon.adopt(reg.measures)
    known = reg.sources.get(source_id)
    layout = structure.analyse(doc, known.title if known and known.title else None)
    texts = [b.text for b in layout.blocks if b.kind in ("paragraph", "table", "caption", "footnote")]
    decimal = numbers.notation(texts)
    gaz = mentions.build(reg)
    page_text = {pg.number: pg.text for pg in doc.pages}

    # mentions, in two passes: names first, then regions of the countries named, misspellings
    # and proposals for names that match nothing
    by_block: dict[int, list[Mention]] = {}
    starts_of: dict[int, set[int]] = {}
    for i, b in enumerate(layout.blocks):
        if b.kind in ("url", "page-number"):
            continue
        sents = structure.split_sentences(b) if b.kind != "table" else []
        starts_of[i] = {s.start - b.start for s in sents} | {0}
        by_block[i] = mentions.find(b.text, b.page, b.start, gaz, reg, None, starts_of[i])
    doc_countries = {m.ref for ms in by_block.values() for m in ms if m.kind == "country"}
    for i, ms in by_block.items():
        b = layout.blocks[i]
        toks = mentions._tokens(b.text)
        ms += mentions._regions(b.text, b.page, b.start, toks, ms, doc_countries)
        fz = mentions.fuzzy(b.text, b.page, b.start, gaz, ms, starts_of[i])
        if fz:
            ms[:] = [m for m in ms if not any(f.start <= m.start < f.end for f in fz)] + fz
        ms += mentions.propose(b.text, b.page, b.start, ms, starts_of[i], reg)
        ms.sort(key=lambda m: m.start)
    say(f"found {sum(len(v) for v in by_block.values())} entity mentions")

    # citations, matched to known sources or proposed
    all_cits: list[cit.Citation] = []
    new_sources: dict[str, dict] = {}
    by_text: dict[str, str] = {}
    for i, b in enumerate(layout.blocks):
        if b.kind not in ("paragraph", "caption", "footnote", "label"):
            continue
        for c in cit.find(b.text, b.page, b.start):
            key = mentions.norm(c.text)
            if key in by_text:
                c.source = by_text[key]
                c.new = c.source in new_sources
            else:
                sid, score = cit.match(c, reg, source_id)
                if sid:
                    c.source, c.score = sid, score
                else:
                    sid = cit.new_source_id(c, reg, set(new_sources))
                    c.source, c.score, c.new = sid, 0.6, True
                    loc = _locator(b, doc)
                    new_sources[sid] = {"entry": cit.source_entry(c, sid, reg, loc), "citation": c}
                by_text[key] = c.source
            all_cits.append(c)
    say(f"found {len(all_cits)} citations ({len(new_sources)} new sources)")

    # figures, tables and relations, block by block, with what came before
    flows: dict = {}
    flow_nodes: dict = {}
    facts: list[Fact] = []
    history: list[Mention] = []
    section = None
    recent_blocks: list[structure.Block] = []
    for i, b in enumerate(layout.blocks):
        ms = by_block.get(i, [])
        if b.section != section:
            section, history = b.section, []
        cits = [c for c in all_cits if c.page == b.page and b.start <= c.start < b.end]
        ctx = Context(reg, decimal, source_id, ms, cits, list(history), flows=flows, flow_nodes=flow_nodes)
        ctx.cite_of = {c.start: c.source for c in cits}
        if b.kind == "caption":
            m = re.search(r"\bdata (?:of|for|from|in)\s+((?:1[89]|20)\d\d)(?:\s*(?:to|-|\u2013)\s*((?:1[89]|20)\d\d))?",
                          b.text, re.I)
            if m:
                ctx.caption_years = (int(m.group(1)), int(m.group(2))) if m.group(2) else int(m.group(1))
        if b.kind == "table":
            before = [x for x in recent_blocks if x.kind in ("caption", "label", "table")][-4:]
            ctx.history = [m for x in before for m in by_block.get(layout.blocks.index(x), [])]
            ctx.citations = [c for c in all_cits if any(x.page == c.page and x.start <= c.start < x.end
                                                        for x in before + [b])]
            facts += table_facts(b, ctx, before, page_text[b.page])
            recent_blocks.append(b)
            continue
        recent_blocks.append(b)
        if b.kind not in ("paragraph", "caption", "footnote", "label"):
            continue
        referent = _footnote_referent(b, layout, by_block) if b.kind == "footnote" else None
        set_by = None  # the year an opening "In 2018," gives the sentence after it
        prev_years: list = []
        prev_cits: list = []
        for k, sent in enumerate(structure.split_sentences(b)):
            cit_spans = [(c.start - sent.start, c.end - sent.start) for c in cits if sent.start <= c.start < sent.end]
            yrs = years_in(sent.text, cit_spans)
            plain_years = [y for y in yrs if y[3] == "year"]
            ctx.year_context = set_by[0] if set_by and k - set_by[1] == 1 else None
            # "And for the state, ..." continues the sentence before: its year and source
            if CONNECTIVE.match(sent.text) and prev_years and not plain_years:
                ctx.year_context = prev_years[-1][2]
            lead = re.match(r"^\s*(?:in|for|during)\s+(?:the\s+year\s+)?((?:1[89]|20)\d\d)\b", sent.text, re.I)
            if lead:
                ctx.year_context = int(lead.group(1))
                set_by = (int(lead.group(1)), k)
            ctx.inherited_cites = [c.source for c in prev_cits if c.source] if CONNECTIVE.match(sent.text) else []
            if b.kind in ("paragraph", "caption", "footnote"):
                facts += sentence_figures(sent, ctx)
                facts += sentence_relations(sent, ctx, referent)
            if plain_years:
                ctx.last_year = plain_years[-1][2]
            prev_years = plain_years
            prev_cits = [c for c in cits if sent.start <= c.start < sent.end]
            ctx.history += [m for m in ms if sent.start <= m.start < sent.end and
                            not any(c.start <= m.start < c.end for c in cits)]
        if b.kind in ("paragraph", "caption"):
            # what the section has named so far, most recent last (not the authors of citations)
            history += [m for m in ms if not any(c.start <= m.start < c.end for c in cits)]
    # locators carry the page when the document has pages
    for f in facts:
        f.locator = _with_page(f.locator, f.page, doc)
    facts = _dedupe(facts)
    kept = [f for f in facts if f.score >= min_score]
    # proposed entities: those the kept facts use, and names proposed with a clear kind
    new_entities: dict[str, tuple[dict, Mention]] = {}
    all_mentions = [m for ms in by_block.values() for m in ms]
    for m in all_mentions:
        if m.new and m.ref not in new_entities:
            new_entities[m.ref] = (m.new, m)
    used_new = {ln.ref for f in kept for ln in f.links if ln.new} | {f.subject for f in kept} | \
        {f.about for f in kept}
    for ref in list(new_entities):
        fields, m = new_entities[ref]
        if ref not in used_new and m.score < 0.5:
            del new_entities[ref]
    source_entry = None
    if known is None:
        source_entry = _source_entry(doc, source_id, reg, layout)
    ex = Extraction(doc, layout, reg, source_id, kept, all_mentions, all_cits, new_sources, new_entities,
                    time.perf_counter() - t0, source_entry)
    ex.stats = {"figures": sum(f.kind == "figure" for f in kept), "table_cells": sum(f.kind == "table-cell" for f in kept),
                "relations": sum(f.kind == "relation" for f in kept), "dropped_low_score": len(facts) - len(kept)}
    say(f"proposed {ex.stats['figures']} figures, {ex.stats['table_cells']} table cells, "
        f"{ex.stats['relations']} relations in {ex.seconds:.2f} s")
    return ex


def _locator(b: structure.Block, doc) -> dict:
    return _with_page(b.locator(), b.page, doc)


def _with_page(loc: dict, page: int, doc) -> dict:
    if len(doc.pages) > 1 or doc.format == "pdf":
        return {"page": page, **{k: v for k, v in loc.items() if k != "page"}}
    return dict(loc)


def _footnote_referent(b: structure.Block, layout: structure.Layout, by_block) -> Mention | None:
    """The entity a footnote's marker follows in the text ("the Bolivar mine1" -> Bolivar mine)."""
    n = b.footnote
    for page, pos in layout.markers.get(n or "", []):
        best = None
        for ms in by_block.values():
            for m in ms:
                if m.page == page and 0 <= pos - m.end <= 2 and m.kind in ("site", "actor", "place", "project"):
                    best = m
        if best:
            return best
    return None


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One proposal per fact: the same figure key and value stated twice is proposed once, from
    its best-scored statement; a yearly rate stated with the year joins the year's amount."""
    out: dict = {}
    for f in facts:
        k = f.key()
        if k in out:
            if f.score > out[k].score:
                out[k] = f
            continue
        out[k] = f
    return list(out.values())


def _source_entry(doc, source_id: str, reg, layout) -> dict:
    """A new source's entry, from what the document gives: its title, author, year, URL."""
    meta = doc.meta
    entry: dict = {"id": source_id, "a": "Report"}
    title = meta.get("title")
    if not title:
        first = next((b for b in layout.blocks if b.kind == "heading"), None)
        if first is not None:
            title = " ".join(first.text.split())
    if title:
        entry["title"] = title
    if meta.get("publisher"):
        key = mentions.norm(meta["publisher"])
        pub = next((ref for ref, e in reg.entities.items() if e.kind == "actor" and
                    key in {mentions.norm(x) for x in [e.label, *e.alt_labels]}), None)
        if pub:
            entry["publisher"] = pub
        elif not meta.get("author"):
            entry["creator"] = [meta["publisher"]]
    if meta.get("author"):
        entry["creator"] = [a.strip() for a in re.split(r";|\band\b", meta["author"]) if a.strip()]
    year = meta.get("year")
    if year:
        entry["year"] = year
    if meta.get("url"):
        entry["url"] = meta["url"]
    return entry
