"""Proposals as curated YAML: `data/proposals/ID.yaml`, written atomically.

Every statement is a curated statement (id, at, cites, confidence, says, assert) plus a
`proposal:` mapping (score, span, kind, status) that acceptance removes. `says` is generated
from the structured fact, never taken from the document; before anything is written the text
is checked for any run of ten words from the document (the rule of ../shared/tools/copied-sentences),
and names printed in the document that run that long (section headings, titles) are folded over
lines as the curated files do.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import tempfile
from pathlib import Path

from .. import __version__
from ..units import UNITS
from ..vocab import SLUG
from .lexicon import MEASURES, UNIT_WORDS
from .mentions import slugify
from .model import Fact, unique
from .numbers import display
from .pipeline import Extraction
from .yamlout import Flow, FlowList, Folded, dump

EXTRACTOR = f"oretrace extract {__version__}"
RUN = 10  # words: the length of a copied run that ../shared/tools/copied-sentences reports
_CLASS_FALLBACK = {"FlowQuantityObservation": "QuantityObservation", "EndUseShareObservation": "ShareObservation",
                   "RecyclingRateObservation": "ShareObservation", "ShareObservation": "Observation",
                   "QuantityObservation": "Observation", "ContentObservation": "Observation",
                   "ValueObservation": "Observation", "CapacityObservation": "Observation",
                   "ProductionObservation": "Observation", "RankObservation": "Observation"}
_NAME_KEYS = {"section", "title", "table", "row", "column", "cited_as", "label", "alt_label", "figure", "caption"}


class OutputError(Exception):
    """The proposals cannot be written where asked."""


def proposals_path(settings, source_id: str) -> Path:
    """data/proposals/ID.yaml, refusing an ID that is not a slug or would leave that folder."""
    if not isinstance(source_id, str) or not SLUG.match(source_id) or len(source_id) > 120:
        raise OutputError(f"source id {source_id!r} is not a slug (use lower-case letters, digits and '-', "
                          "e.g. usgs-indium-2021)")
    folder = (settings.data_dir / "proposals").resolve()
    path = (folder / f"{source_id}.yaml").resolve()
    if path.parent != folder:
        raise OutputError(f"source id {source_id!r} would write outside data/proposals/")
    return path


def _flow(d: dict) -> Flow:
    return Flow(d)


def _text(s: str, per_line: int = RUN // 2):
    """A name printed in the document, folded over lines of at most five words (as the copied-run
    check counts words) when it runs to ten words or more."""
    s = " ".join(str(s).split())
    if len(_words(s)) < RUN:
        return s
    lines, cur, count = [], [], 0
    for w in s.split(" "):
        n = len(_words(w))
        if cur and count + n > per_line:
            lines.append(" ".join(cur))
            cur, count = [], 0
        cur.append(w)
        count += n
    lines.append(" ".join(cur))
    return Folded(s, lines)


def _locator(loc: dict) -> dict:
    m = {}
    long = False
    for k, v in loc.items():
        v = v if k == "page" else str(v)
        tv = _text(v) if isinstance(v, str) else v
        long = long or isinstance(tv, Folded)
        m[k] = tv
    return m if long else Flow(m)


class Writer:
    """Turns an Extraction into the proposals document."""

    def __init__(self, ex: Extraction, settings, today: _dt.date | None = None):
        self.ex = ex
        self.reg = ex.reg
        self.s = settings
        self.today = today or _dt.date.today()
        self.used_ids: set[str] = set(self.reg.statement_ids)
        self.used_refs: set[str] = set(self.reg.entities)
        self.problems: list[str] = []

    # -- names and labels
    def label(self, ref) -> str:
        if isinstance(ref, list):
            return " and ".join(self.label(r) for r in ref)
        if ref in self.ex.new_entities:
            return self.ex.new_entities[ref][0].get("label", ref)
        for f in self.ex.facts:
            for n in f.new_entities:
                if n.get("id") == ref:
                    return self.flow_label(n) if ref.startswith("flow/") else n.get("label") or ref
        lab = self.reg.label(ref)
        return re.sub(r"\s*\((?:collectively|trade category|as [^)]*)\)", "", lab)

    def flow_label(self, n: dict) -> str:
        kind = {"Export": "exports", "Import": "imports", "Sale": "sales", "Shipment": "shipments"}.get(n.get("a"), "flow")
        parts = [kind] + [f"{word} {self.label(n[key])}" for key, word in (
            ("material", "of"), ("origin", "from"), ("destination", "to"), ("via", "via"), ("buyer", "bought by"),
            ("seller", "sold by")) if n.get(key)]
        text = " ".join(parts)
        if n.get("year"):
            text += f", {n['year']}"
        elif n.get("period_start"):
            text += f", {n['period_start']}-{n['period_end']}"
        return text

    def new_ref(self, kind: str, slug: str) -> str:
        return unique(f"{kind}/{slugify(slug)[:70].strip('-') or kind}", self.used_refs)

    def new_statement_id(self, slug: str) -> str:
        return unique(f"{self.ex.source_id}/{slugify(slug)[:80].strip('-')}", self.used_ids)

    # -- paraphrases generated from the facts
    def says_figure(self, f: Fact) -> str:
        mlabel = (self.reg.measures.get(f.measure, {}).get("label") or MEASURES[f.measure][2]) if f.measure else "figure"
        what = mlabel
        if f.material:
            what += f" of {self.label(f.material)}"
        elif f.element:
            what += f" of {self.label(f.element)}"
        if f.element and f.material:
            what += f" ({self.label(f.element)})"
        q = f.quantity
        unit = q.get("unit", "")
        uw = UNIT_WORDS.get(unit, unit)
        if "value" in q:
            amount = display(q["value"])
        elif "min" in q and "max" in q:
            amount = f"{display(q['min'])} to {display(q['max'])}"
        elif "max" in q:
            amount = f"up to {display(q['max'])}"
        else:
            amount = f"at least {display(q['min'])}"
        if q.get("approximate") and "value" in q:
            amount = "about " + amount
        amount = f"{amount} {uw}".strip() if uw not in ("%",) else f"{amount} %"
        when = f" in {f.year}" if f.year else (f" over {f.period[0]}-{f.period[1]}" if f.period else "")
        subject = self.label(f.subject) if f.subject else "unknown subject"
        s = f"{subject[:1].upper()}{subject[1:]}: {what}, {amount}{when}"
        if q.get("estimated"):
            s += " (estimate)"
        return s

    def says_relation(self, f: Fact, node: dict | None) -> str:
        if node is not None and f.about and f.about.startswith("flow/"):
            return f"The document records {self.flow_label(node)}"
        if node is not None:
            role = "uses" if "input" in node else "makes"
            mat = self.label(node.get("input") or node.get("output"))
            return f"A process at {self.label(node.get('performed_at'))} {role} {mat}"
        parts = []
        for prop, val in f.facts.items():
            words = prop.replace("_", " ")
            parts.append(f"{words} {self.label(val)}")
        return f"{self.label(f.about)[:1].upper()}{self.label(f.about)[1:]}: " + "; ".join(parts)

    # -- the document
    def build(self) -> dict:
        """The proposals file, in the proposal-file format of data/README.md (curated/format.yaml)."""
        ex = self.ex
        out = dict()
        out["proposals_for"] = ex.source_id
        out["document"] = _flow({"path": str(ex.doc.path), "sha256": ex.doc.sha256, "pages": len(ex.doc.pages)})
        out["extracted_on"] = self.today.isoformat()
        out["extractor"] = EXTRACTOR
        if ex.source_entry:
            out["source"] = {k: (_text(v) if k == "title" else _flow_list(v) if isinstance(v, list) else v)
                             for k, v in ex.source_entry.items()}
        cited = []
        for sid, item in ex.new_sources.items():
            m = {}
            for k, v in item["entry"].items():
                m[k] = _locator(v) if k == "at" else _flow_list(v) if k == "creator" else \
                    _text(v) if k == "cited_as" else v
            cited.append(m)
        if cited:
            out["cited_sources"] = cited
        facts = sorted(ex.facts, key=lambda f: (f.page, f.start, f.focus or (0, 0)))
        # new nodes a figure needs are proposed entities (accepted with the figures that use them);
        # those only a relation needs are declared in its statement
        fig_nodes: dict[str, tuple[dict, Fact]] = {}
        for f in facts:
            if f.kind != "relation":
                for n in f.new_entities:
                    fig_nodes.setdefault(n["id"], (n, f))
        statements = [st for st in (self.statement(f, fig_nodes) for f in facts) if st is not None]
        used = set()
        for st in statements:
            for n in st["assert"]:
                used |= _node_refs(n)
        for _, (n, _) in fig_nodes.items():
            used |= _node_refs(n)
        entities = [self.entity_from_fact(ref, n, f) for ref, (n, f) in fig_nodes.items()]
        for ref, (fields, m) in ex.new_entities.items():
            if ref in fig_nodes:
                continue
            if ref in used:
                entities.append(self.entity_from_mention(ref, fields, m))
            else:  # named in the document, used by no statement: a statement of its own, to review
                statements.append(self.entity_statement(ref, fields, m))
        if entities:
            out["entities"] = entities
        out["statements"] = statements
        return out

    def proposal(self, score, page, start, end, kind, notes=()) -> dict:
        p = dict()
        p["score"] = round(float(score), 2)
        p["span"] = _flow({"page": page, "start": start, "end": end})
        p["kind"] = kind
        p["status"] = "proposed"
        notes = [n for n in notes if n]
        if notes:
            p["note"] = "; ".join(notes)
        return p

    def entity_from_fact(self, ref: str, n: dict, f: Fact) -> dict:
        m = dict()
        m["id"] = ref
        m["a"] = n.get("a", "Flow")
        if ref.startswith("flow/"):
            m["label"] = self.flow_label(n)
        elif n.get("label"):
            m["label"] = n["label"]
        for k, v in n.items():
            if k in ("id", "a", "label"):
                continue
            m[k] = _flow_list(v) if isinstance(v, list) else v
        m["at"] = _locator(f.locator)
        if f.cites:
            m["cites"] = f.cites[0] if len(f.cites) == 1 else _flow_list(f.cites)
        m["says"] = (f"The document records {self.flow_label(n)}." if ref.startswith("flow/")
                     else f"The document describes {self.label(ref)}.")
        return m

    def _mention_fields(self, ref: str, fields: dict, mention) -> tuple[dict, dict, str]:
        node = dict(fields)
        loc = {}
        for b in self.ex.layout.blocks:
            if b.page == mention.page and b.start <= mention.start < b.end:
                loc = b.locator()
                break
        from .pipeline import _with_page

        at = _locator(_with_page(loc or {"page": mention.page}, mention.page, self.ex.doc) or {"page": mention.page})
        kind_words = re.sub(r"(?<!^)(?=[A-Z])", " ", fields.get("a", "")).lower() or ref.split("/")[0]
        says = f"The document names {fields.get('label', ref)}, {_article(kind_words)} {kind_words}."
        return node, at, says

    def entity_from_mention(self, ref: str, fields: dict, mention) -> dict:
        node, at, says = self._mention_fields(ref, fields, mention)
        return {**node, "at": at, "says": says}

    def entity_statement(self, ref: str, fields: dict, mention) -> dict:
        node, at, says = self._mention_fields(ref, fields, mention)
        kind, slug = ref.split("/", 1)
        return {"id": self.new_statement_id(f"declares-{kind}-{slug}"), "at": at, "confidence": "stated",
                "says": says, "assert": [node],
                "proposal": self.proposal(mention.score, mention.page, mention.start, mention.end, "entity")}

    def obs_class(self, cls: str) -> str:
        c = cls
        while c not in self.reg.classes and c in _CLASS_FALLBACK:
            c = _CLASS_FALLBACK[c]
        return c

    def statement(self, f: Fact, fig_nodes: dict | None = None) -> dict | None:
        st = dict()
        nodes = list()
        notes: list[str] = []
        if f.kind in ("figure", "table-cell"):
            node = dict()
            subj = f.subject or "unknown"
            parts = [_short(subj), f.material and _short(f.material), f.element and _short(f.element),
                     slugify(MEASURES[f.measure][2]) if f.measure else "figure",
                     str(f.year) if f.year else (f"{f.period[0]}-{f.period[1]}" if f.period else "")]
            slug = "-".join(p for p in parts if p)
            ref = self.new_ref("observation", slug)
            node["id"] = ref
            node["a"] = self.obs_class(f.cls or "QuantityObservation")
            if "measures" in self.reg.properties:
                node["measures"] = f.measure
            elif "measure" in self.reg.properties:
                node["measure"] = self.reg.measures.get(f.measure, {}).get("label") or MEASURES[f.measure][2]
            node["subject"] = subj
            for key, val in (("material", f.material), ("element", f.element), ("application", f.application),
                             ("whole", f.whole)):
                if val and key in self.reg.properties:
                    node[key] = val
            if f.place:
                pk = "place" if "place" in self.reg.properties else (
                    "concerns_place" if "concerns_place" in self.reg.properties else None)
                if pk:
                    node[pk] = f.place
            if f.year:
                node["year"] = f.year
            elif f.period:
                node["period_start"], node["period_end"] = f.period
            elif "undated_reason" in self.reg.properties:
                reason = self._undated_reason(f)
                if reason:
                    node["undated_reason"] = reason
            q = dict()
            for k in ("value", "min", "max", "unit", "approximate", "estimated"):
                if k in f.quantity:
                    q[k] = f.quantity[k]
            node["quantity"] = Flow(q)
            if q.get("unit") not in UNITS:
                notes.append(f"unit {q.get('unit')} is not among the curated units ({', '.join(UNITS)}): "
                             "convert the figure or add the unit before accepting")
            nodes.append(node)
            says = self.says_figure(f)
            sid = self.new_statement_id(slug)
        else:
            own = [n for n in f.new_entities if n["id"] not in (fig_nodes or {})]
            for n in own:  # the flow or process the relation declares
                node = {"id": n["id"], "a": n.get("a", "Flow")}
                if n["id"].startswith("flow/"):
                    node["label"] = self.flow_label(n)
                node.update({k: (_flow_list(v) if isinstance(v, list) else v) for k, v in n.items()
                             if k not in ("id", "a", "label")})
                nodes.append(node)
            if f.facts:
                m = {"about": f.about, **f.facts}
                nodes.append(m)
            if not nodes:
                return None  # its flow is proposed under entities, with the figures about it
            says = self.says_relation(f, own[0] if own and not f.facts else None)
            sid = self.new_statement_id(f"{_short(f.about)}-" + ("-".join(f.facts) or
                                                                 (own[0].get("a", "flow").lower() if own else "")))
        st["id"] = sid
        st["at"] = _locator(f.locator or {"page": f.page})
        if f.cites:
            st["cites"] = f.cites[0] if len(f.cites) == 1 else _flow_list(f.cites)
        st["confidence"] = f.confidence
        st["says"] = says
        st["assert"] = nodes
        st["proposal"] = self.proposal(f.score, f.page, f.start, f.end, f.kind, [f.note] + notes)
        return st

    def _undated_reason(self, f: Fact) -> str | None:
        """Why a figure has no period: a yearly rate without its year is a typical yearly figure; a
        route's length or a product's unit size does not change; else the source gives none."""
        if f.quantity.get("unit", "").endswith("/year") and "TypicalAnnualFigure" in self.reg.individuals:
            return "TypicalAnnualFigure"
        if f.measure in ("Distance", "UnitSize") and "LastingProperty" in self.reg.individuals:
            return "LastingProperty"
        return "NoPeriodInSource" if "NoPeriodInSource" in self.reg.individuals else None


def _node_refs(n: dict) -> set[str]:
    out = set()
    for k, v in n.items():
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, str) and re.match(r"^[a-z]+/[a-z0-9-]+$", x):
                out.add(x)
    return out


def _article(words: str) -> str:
    return "an" if words[:1] in "aeiou" else "a"


def _short(ref) -> str:
    if not ref:
        return ""
    if isinstance(ref, list):
        return "-".join(_short(r) for r in ref[:2])
    if "/" not in ref:
        return slugify(ref)
    kind, slug = ref.split("/", 1)
    if kind in ("country", "region"):
        return slug.lower()
    return slug[:28].strip("-")


def _flow_list(v) -> FlowList:
    return FlowList(v if isinstance(v, list) else [v])


def render(ex: Extraction, settings, today=None) -> tuple[str, list[str]]:
    """The YAML text of the proposals, and warnings (proposals dropped for copying text)."""
    w = Writer(ex, settings, today)
    doc = w.build()
    warnings = _drop_copied(doc, ex)
    buf = io.StringIO()
    buf.write(f"# Proposals for source {ex.source_id}, extracted from {Path(ex.doc.path).name} by oretrace extract.\n"
              "# Nothing here is in the graph until it is accepted: oretrace proposals list|show|accept|reject.\n"
              "# Each proposal's span gives the page and the character offsets of its passage in the text\n"
              "# oretrace reads from the document; `oretrace proposals show` prints that passage, read live.\n")
    buf.write(dump(doc))
    text = buf.getvalue()
    leftover = copied_lines(text, ex)
    if leftover:
        raise OutputError("generated text repeats the document (" + "; ".join(leftover[:3]) +
                          "): please report this as a bug of oretrace extract")
    return text, warnings + w.problems


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _shingles(ex: Extraction) -> set[tuple]:
    cached = getattr(ex, "_shingles", None)
    if cached is not None:
        return cached
    out = set()
    for pg in ex.doc.pages:
        w = _words(pg.text)
        out.update(tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1))
    ex._shingles = out  # type: ignore[attr-defined]
    return out


def copied_lines(text: str, ex: Extraction) -> list[str]:
    """Lines that repeat a run of ten words of the document (as ../shared/tools/copied-sentences checks)."""
    sh = _shingles(ex)
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        w = _words(line)
        if any(tuple(w[i:i + RUN]) in sh for i in range(len(w) - RUN + 1)):
            hits.append(f"line {n}")
    return hits


def _drop_copied(doc: dict, ex: Extraction) -> list[str]:
    """Remove any proposal whose generated text (not names printed in the document) repeats ten
    words of it; say which."""
    sh = _shingles(ex)
    warnings = []

    def copied(v) -> bool:
        w = _words(str(v))
        return any(tuple(w[i:i + RUN]) in sh for i in range(len(w) - RUN + 1))

    def scan(node, key=None) -> bool:
        if isinstance(node, dict):
            return any(scan(v, k) for k, v in node.items() if k not in _NAME_KEYS)
        if isinstance(node, list):
            return any(scan(v, key) for v in node)
        return isinstance(node, str) and copied(node)

    for section in ("cited_sources", "entities", "statements"):
        seq = doc.get(section)
        if not seq:
            continue
        keep = [item for item in seq if not scan(item)]
        for item in seq:
            if item not in keep:
                warnings.append(f"left out {item.get('id')}: its generated text repeats the document")
        seq[:] = keep
    return warnings


def write(ex: Extraction, settings, today=None) -> tuple[Path, list[str]]:
    path = proposals_path(settings, ex.source_id)
    text, warnings = render(ex, settings, today)
    atomic_write(path, text)
    return path, warnings


def atomic_write(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
