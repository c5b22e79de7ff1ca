"""`oretrace proposals list|show|accept|reject`: review what `oretrace extract` (or a contribution)
proposed in data/proposals/ID.yaml.

Accepting writes the chosen statements, with the entities and cited sources they need, into
data/sources/ID.yaml (a round-trip YAML library keeps that file's comments and order), without
their `proposal:` mappings, and runs the project's checker on the result first: if it does not
check, nothing is written and the problems are shown. Nothing in data/proposals/ is read by the
build, so nothing proposed reaches the graph before it is accepted.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .extract.model import unique
from .vocab import REF, SLUG

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
STATUSES = ("proposed", "accepted", "rejected")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProposalError(Exception):
    """A proposals file or a request about it is unusable; the message says why."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Item:
    section: str  # source, cited_sources, entities, statements
    id: str
    data: dict
    index: int

    @property
    def proposal(self) -> dict:
        p = self.data.get("proposal")
        return p if isinstance(p, dict) else {}

    known: bool = False  # an entity or cited source the curated files already have

    @property
    def status(self) -> str:
        if self.section != "statements":  # reviewed with the statements that need them
            return "accepted" if self.known else "proposed"
        return str(self.proposal.get("status", "proposed"))

    @property
    def kind(self) -> str:
        return str(self.proposal.get("kind") or {"source": "source", "cited_sources": "citation",
                                                 "entities": "entity"}.get(self.section, "statement"))


@dataclass
class Proposals:
    source_id: str
    path: Path
    data: dict
    items: list[Item] = field(default_factory=list)

    def get(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


# ------------------------------------------------------------------ reading
def proposals_dir(settings) -> Path:
    return settings.data_dir / "proposals"


def path_for(settings, source_id: str) -> Path:
    if not isinstance(source_id, str) or not SLUG.match(source_id):
        raise ProposalError(f"{source_id!r} is not a source id (lower-case letters, digits and '-')")
    folder = proposals_dir(settings).resolve()
    p = (folder / f"{source_id}.yaml").resolve()
    if p.parent != folder:
        raise ProposalError(f"{source_id!r} would name a file outside data/proposals/")
    return p


def load(settings, source_id: str) -> Proposals:
    p = path_for(settings, source_id)
    if not p.is_file():
        raise ProposalError(f"no proposals for {source_id!r}: data/proposals/{source_id}.yaml does not exist "
                            f"(run oretrace extract DOCUMENT --source {source_id})")
    from .curated import format as fmt, yamlio

    rel = f"data/proposals/{source_id}.yaml"
    try:
        data = yamlio.load(p.read_text(encoding="utf-8"))
    except yamlio.YamlError as e:
        raise ProposalError(f"{rel}:{e.line}: {e.message}")
    except (OSError, UnicodeDecodeError) as e:
        raise ProposalError(f"{rel} cannot be read ({e})")
    issues: list = []
    fmt.check(fmt.PROPOSAL_FILE, data, yamlio.line_of, issues)
    if issues:
        raise ProposalError(f"{rel} is not in the proposal-file format (data/README.md)",
                            [f"{rel}:{i.line}: {i.message}" for i in issues])
    if data.get("proposals_for") != source_id:
        raise ProposalError(f"{rel} is not a proposals file for {source_id!r} (its proposals_for: must be the source id)")
    props = Proposals(source_id, p, data)
    from .extract import registry

    reg = registry.load(settings)
    if isinstance(data.get("source"), dict):
        props.items.append(Item("source", source_id, data["source"], 0))
    for section in ("cited_sources", "entities", "statements"):
        seq = data.get(section) or []
        if not isinstance(seq, list):
            raise ProposalError(f"data/proposals/{source_id}.yaml: {section} must be a list")
        for i, m in enumerate(seq):
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                known = (m["id"] in reg.sources if section == "cited_sources" else
                         m["id"] in reg.entities if section == "entities" else False)
                props.items.append(Item(section, m["id"], m, i, known))
    if props.items and props.items[0].section == "source":
        props.items[0].known = source_id in reg.sources
    return props


def list_files(settings) -> list[tuple[str, dict]]:
    out = []
    folder = proposals_dir(settings)
    for p in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        sid = p.stem
        try:
            props = load(settings, sid)
        except ProposalError as e:
            out.append((sid, {"error": str(e)}))
            continue
        counts = {s: 0 for s in STATUSES}
        for it in props.items:
            counts[it.status if it.status in counts else "proposed"] += 1
        out.append((sid, counts))
    return out


def select(props: Proposals, patterns: list[str], everything: bool) -> list[Item]:
    if everything:
        return [i for i in props.items if i.status == "proposed"]
    chosen: list[Item] = []
    for pat in patterns:
        hits = [i for i in props.items if fnmatch.fnmatchcase(i.id, pat)] if any(c in pat for c in "*?[") else \
            [i for i in props.items if i.id == pat]
        if not hits:
            raise ProposalError(f"no proposal {pat!r} in data/proposals/{props.source_id}.yaml "
                                f"(see oretrace proposals list {props.source_id})")
        for h in hits:
            if h not in chosen:
                chosen.append(h)
    return chosen


# ------------------------------------------------------------------ the document passage
def passage(props: Proposals, item: Item, width: int = 300, mark=("\u00bb", "\u00ab")) -> tuple[str, str | None]:
    """The document's text around an item's span, read live from the document; and a warning
    when the document has changed or cannot be read."""
    from .extract import document

    doc = props.data.get("document") or {}
    span = item.proposal.get("span") or {}
    path = doc.get("path")
    if not path:
        return "", "the proposals file names no document"
    try:
        d = document.read(path)
    except document.DocumentError as e:
        return "", f"the document cannot be read now: {e}"
    warn = None
    if doc.get("sha256") and d.sha256 != doc["sha256"]:
        warn = "the document has changed since extraction: the span may not point at the same text"
    page = span.get("page")
    if not isinstance(page, int) or not 1 <= page <= len(d.pages):
        return "", warn or "the proposal has no span in the document"
    text = d.pages[page - 1].text
    s, e = int(span.get("start", 0)), int(span.get("end", 0))
    if not 0 <= s <= e <= len(text):
        return "", "the span lies outside the page's text"
    a, b = max(0, s - width), min(len(text), e + width)
    out = text[a:s] + mark[0] + text[s:e] + mark[1] + text[e:b]
    return ("\u2026" if a else "") + out + ("\u2026" if b < len(text) else ""), warn


# ------------------------------------------------------------------ accepting
def _refs(v) -> set[str]:
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("proposal", "says", "label", "alt_label", "description", "at", "title", "cited_as"):
                continue
            out |= _refs(x)
    elif isinstance(v, list):
        for x in v:
            out |= _refs(x)
    elif isinstance(v, str) and REF.match(v):
        out.add(v)
    return out


def _cites(v) -> set[str]:
    c = v.get("cites") if isinstance(v, dict) else None
    return {str(x) for x in (c if isinstance(c, list) else [c] if c else [])}


def closure(props: Proposals, chosen: list[Item], target_exists: bool) -> tuple[list[Item], list[Item]]:
    """The chosen items and the proposed entities, cited sources and source entry they need."""
    by_id = {i.id: i for i in props.items}
    out = list(chosen)
    added: list[Item] = []
    todo = list(chosen)
    while todo:
        it = todo.pop()
        needs = set()
        if it.section in ("statements", "entities"):
            needs |= _refs(it.data.get("assert") or []) | (_refs({k: v for k, v in it.data.items() if k != "id"})
                                                          if it.section == "entities" else set())
            needs |= _cites(it.data)
        if it.section == "cited_sources":
            needs |= _refs({k: v for k, v in it.data.items() if k in ("publisher",)})
        for n in needs:
            dep = by_id.get(n)
            if dep is None or dep in out or dep.section == "statements":
                continue
            if dep.status == "rejected":
                raise ProposalError(f"{it.id} needs {dep.id}, which was rejected (accept it first, or edit "
                                    f"{it.id} to do without it)")
            if dep.status == "accepted":
                continue
            out.append(dep)
            added.append(dep)
            todo.append(dep)
    if not target_exists:
        src = by_id.get(props.source_id)
        if src is None or src.section != "source":
            raise ProposalError(f"data/sources/{props.source_id}.yaml does not exist and the proposals give no "
                                "source entry for it (add `source:` to the proposals file)")
        if src not in out:
            out.append(src)
            added.append(src)
    return out, added


def _clean(v):
    """A proposal's curated part: the `proposal:` mapping removed, plain types throughout."""
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if k != "proposal"}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _dump(d) -> str:
    from .extract.yamlout import dump

    return dump(d)


def _rt():
    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _commented(v, flow_small=True):
    """Plain data as ruamel nodes, short mappings and lists on one line as the curated files write them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(v, dict):
        m = CommentedMap()
        for k, x in v.items():
            m[k] = _commented(x)
        if flow_small and v and all(not isinstance(x, (dict, list)) for x in v.values()) and \
                len(str(v)) < 90 and len(v) <= 6 and not any(k in v for k in ("id", "about")):
            m.fa.set_flow_style()
        return m
    if isinstance(v, list):
        s = CommentedSeq(_commented(x) for x in v)
        if v and all(isinstance(x, str) for x in v) and len(str(v)) < 90:
            s.fa.set_flow_style()
        return s
    return v


def _entity_statement(props: Proposals, it: Item, used: set[str]) -> dict:
    e = _clean(it.data)
    node = {k: v for k, v in e.items() if k not in ("at", "says", "cites", "confidence")}
    kind, slug = it.id.split("/", 1)
    sid = unique(f"{props.source_id}/declares/{kind}-{slug}", used)
    st = {"id": sid, "at": e.get("at") or {"section": "not located"}}
    if e.get("cites"):
        st["cites"] = e["cites"]
    if e.get("confidence"):
        st["confidence"] = e["confidence"]
    st["says"] = e.get("says") or f"The document names {e.get('label', it.id)}."
    st["assert"] = [node]
    return st


def accept(settings, source_id: str, patterns: list[str], everything: bool = False, curator: str | None = None,
           today: _dt.date | None = None, checker=None) -> dict:
    """Accept proposals into data/sources/ID.yaml; return what was done. Raises ProposalError
    (with the checker's problems) and writes nothing when the result does not check."""
    today = today or _dt.date.today()
    props = load(settings, source_id)
    chosen = select(props, patterns, everything)
    skipped = [i for i in chosen if i.status != "proposed"]
    chosen = [i for i in chosen if i.status == "proposed"]
    if not chosen:
        return {"accepted": [], "added": [], "skipped": [i.id for i in skipped], "file": None}
    target = settings.data_dir / "sources" / f"{source_id}.yaml"
    items, added = closure(props, chosen, target.exists())
    text = merged_text(settings, props, items, curator, today)
    problems = check_with(settings, source_id, text, checker)
    if problems:
        raise ProposalError(f"the accepted statements do not check; nothing was written to "
                            f"data/sources/{source_id}.yaml", problems)
    with locked(settings):
        _atomic_write(target, text)
        mark(settings, source_id, [i.id for i in items], "accepted", today)
    return {"accepted": [i.id for i in chosen], "added": [i.id for i in added], "skipped": [i.id for i in skipped],
            "file": target}


def merged_text(settings, props: Proposals, items: list[Item], curator: str | None, today: _dt.date) -> str:
    """data/sources/ID.yaml with `items` added (its comments and order kept), as text."""
    source_id = props.source_id
    target = settings.data_dir / "sources" / f"{source_id}.yaml"
    y = _rt()
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if target.exists():
        try:
            doc = y.load(target.read_text(encoding="utf-8"))
        except Exception as e:  # ruamel raises several error types for broken YAML
            raise ProposalError(f"data/sources/{source_id}.yaml cannot be read as YAML ({e}); fix it first")
        if not isinstance(doc, dict):
            raise ProposalError(f"data/sources/{source_id}.yaml is not a YAML mapping")
    else:
        src = _clean(next(i for i in items if i.section == "source").data)
        src.pop("needs", None)
        who = curator or _only_curator(settings)
        doc = CommentedMap()
        doc["source"] = _commented(src, flow_small=False)
        doc["curator"] = who
        doc["curated_on"] = today.isoformat()
        doc.yaml_set_start_comment(f"Accepted from data/proposals/{source_id}.yaml on {today.isoformat()}.")
    curator = curator or props.data.get("curator")
    file_curator = doc.get("curator")
    file_date = str(doc.get("curated_on") or "")
    if curator is None and not file_curator:
        raise ProposalError("no curator: give --curator curator/<id> (who reviewed these statements)")
    used_ids = _statement_ids(settings) | {str(s.get("id")) for s in doc.get("statements") or [] if isinstance(s, dict)}
    new_cited, new_statements = [], []
    for it in items:
        if it.section == "cited_sources":
            new_cited.append(_clean(it.data))
        elif it.section == "entities":
            new_statements.append(_entity_statement(props, it, used_ids))
    for it in items:
        if it.section == "statements":
            st = _clean(it.data)
            if st.get("id") in used_ids:
                raise ProposalError(f"statement id {st['id']} is already used in the curated files "
                                    "(rename it in the proposals file)")
            used_ids.add(st["id"])
            new_statements.append(st)
    for k, st in enumerate(new_statements):
        extra = {}
        if curator and curator != file_curator:
            extra["curator"] = curator
        if file_date != today.isoformat():
            extra["curated_on"] = today.isoformat()
        if extra:  # who accepted it and when, before its facts
            keys = list(st)
            pos = keys.index("assert") if "assert" in keys else len(keys)
            new_statements[k] = dict(list(st.items())[:pos] + list(extra.items()) + list(st.items())[pos:])
    if new_cited:
        seq = doc.get("cited_sources")
        if not isinstance(seq, list):
            seq = CommentedSeq()
            keys = list(doc.keys())
            pos = keys.index("statements") if "statements" in keys else len(keys)
            doc.insert(pos, "cited_sources", seq)
        start = len(seq)
        for c in new_cited:
            seq.append(_commented(c, flow_small=False))
        seq.yaml_set_comment_before_after_key(start, before=f"accepted from data/proposals/{source_id}.yaml on "
                                                           f"{today.isoformat()}", indent=2)
    if new_statements:
        seq = doc.get("statements")
        if not isinstance(seq, list):
            seq = CommentedSeq()
            doc["statements"] = seq
        start = len(seq)
        for st in new_statements:
            seq.append(_commented(st, flow_small=False))
        seq.yaml_set_comment_before_after_key(start, before=f"accepted from data/proposals/{source_id}.yaml on "
                                                           f"{today.isoformat()}", indent=2)
    import io

    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def _only_curator(settings) -> str:
    from .extract import registry

    reg = registry.load(settings)
    curators = sorted(r for r in reg.entities if r.startswith("curator/"))
    if len(curators) == 1:
        return curators[0]
    raise ProposalError("a new source file needs its curator: give --curator curator/<id>")


def _statement_ids(settings) -> set[str]:
    from .extract import registry

    return registry.load(settings).statement_ids


def check_with(settings, source_id: str, text: str, checker=None) -> list[str]:
    """The checker's problems for the curated files with data/sources/ID.yaml replaced by `text`,
    read from a throw-away copy of data/ (the checker reads only regular files inside data/), so
    nothing real changes until the result checks."""
    from . import curated

    tmp = Path(tempfile.mkdtemp(prefix="oretrace-accept-"))
    try:
        root = settings.root
        for entry in root.iterdir():
            if entry.name != "data":
                os.symlink(entry, tmp / entry.name)
        shutil.copytree(settings.data_dir, tmp / "data", symlinks=True,
                        ignore=lambda d, names: [n for n in names if n == "proposals" and Path(d) == settings.data_dir])
        (tmp / "data" / "sources" / f"{source_id}.yaml").write_text(text, encoding="utf-8")
        from dataclasses import replace

        s = replace(settings, root=tmp)
        try:
            (checker or curated.read)(s)
        except curated.CurationError as e:
            return [str(p) for p in e.problems]
        return []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def mark(settings, source_id: str, ids: list[str], status: str, today: _dt.date | None = None) -> None:
    """Set the status of proposals in their file (its layout kept)."""
    if status not in STATUSES:
        raise ProposalError(f"unknown status {status!r}")
    today = today or _dt.date.today()
    p = path_for(settings, source_id)
    y = _rt()
    doc = y.load(p.read_text(encoding="utf-8"))
    want = set(ids)
    nodes = [m for m in doc.get("statements") or [] if isinstance(m, dict) and m.get("id") in want]
    from ruamel.yaml.comments import CommentedMap

    for m in nodes:
        prop = m.get("proposal")
        if not isinstance(prop, dict):
            prop = CommentedMap()
            m["proposal"] = prop
        prop["status"] = status
    import io

    buf = io.StringIO()
    y.dump(doc, buf)
    _atomic_write(p, buf.getvalue())


MAX_ITEM_BYTES = 20_000  # one contribution or edited statement, as YAML
MAX_FILE_BYTES = 4 << 20  # a proposals file that grows past this takes no more contributions
MAX_PENDING = 2000  # nor when this many of its statements await review


def _locked():
    """An exclusive lock on data/proposals/ while a file there is rewritten (two reviewers, or a
    contributor and a reviewer, may write at once)."""
    import contextlib
    import fcntl

    @contextlib.contextmanager
    def lock(settings):
        folder = proposals_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    return lock


locked = _locked()


def _structure(record, m: dict, what: str) -> list[str]:
    from .curated import format as fmt

    issues: list = []
    fmt.check(record, m, lambda obj, key=None, default=1: 1, issues)
    return [f"{what}: {i.message}" for i in issues]


def _source_entry(source_id: str, entry: dict) -> dict:
    """A source entry from a form: its id first, empty fields left out."""
    return {"id": source_id, **{k: v for k, v in entry.items() if v not in (None, "", []) and k != "id"}}


def _size_ok(m: dict, what: str) -> None:
    from .extract.yamlout import dump

    n = len(dump(m).encode("utf-8"))
    if n > MAX_ITEM_BYTES:
        raise ProposalError(f"{what} is {n:,} bytes; at most {MAX_ITEM_BYTES:,} are taken (shorten the texts: a "
                            "paraphrase is one line)")


def contribute(settings, source_id: str, statement: dict, kind: str = "contribution", contributor: dict | None = None,
               disputes: str | None = None, new_source: dict | None = None, today: _dt.date | None = None) -> str:
    """Save a contribution (a new fact, or a dispute of a statement) as a proposal in
    data/proposals/ID.yaml, after the same checks as an acceptance; returns its statement id.
    Raises ProposalError, writing nothing, when it is too large, malformed or does not check."""
    today = today or _dt.date.today()
    path = path_for(settings, source_id)
    if kind not in ("contribution", "dispute"):
        raise ProposalError(f"unknown kind of contribution {kind!r} (contribution or dispute)")
    from .extract import registry

    reg = registry.load(settings)
    if disputes and disputes not in reg.statement_ids:
        raise ProposalError(f"there is no statement {disputes!r} to dispute")
    if kind == "dispute" and not disputes:
        raise ProposalError("a dispute names the statement it disputes")
    st = {k: v for k, v in statement.items() if k != "proposal"}
    base = f"{source_id}/{'dispute' if kind == 'dispute' else 'contribution'}-{today.strftime('%Y%m%d')}"
    st["id"] = unique(base, reg.statement_ids | _pending_ids(settings, source_id))
    prop = {"kind": kind, "status": "proposed"}
    who = {k: str(v) for k, v in (contributor or {}).items() if v not in (None, "") and k in ("name", "contact")}
    if who:
        prop["contributor"] = who
    if disputes:
        prop["disputes"] = disputes
    st["proposal"] = prop
    _size_ok(st, "the contribution")
    from .curated import format as fmt

    problems = _structure(fmt.PROPOSED_STATEMENT, st, "the statement")
    if new_source is not None:
        if source_id in reg.sources:
            raise ProposalError(f"source id {source_id!r} is taken: pick the existing source, or another id")
        new_source = _source_entry(source_id, new_source)
        _size_ok(new_source, "the source entry")
        problems += _structure(fmt.SOURCE, new_source, "the source")
    elif source_id not in reg.sources:
        raise ProposalError(f"there is no source {source_id!r}: pick an existing source or describe a new one")
    if problems:
        raise ProposalError("the contribution does not check; nothing was saved", problems)
    # the checks of an acceptance, on a copy: does it join its source file cleanly?
    data = {"proposals_for": source_id}
    if new_source is not None:
        data["source"] = new_source
    trial = Proposals(source_id, path, data, [Item("statements", st["id"], st, 0)])
    if new_source is not None:
        trial.items.append(Item("source", source_id, new_source, 0))
    target_exists = (settings.data_dir / "sources" / f"{source_id}.yaml").exists()
    items, _ = closure(trial, [trial.items[0]], target_exists)
    curators = sorted(r for r in reg.entities if r.startswith("curator/"))
    text = merged_text(settings, trial, items, curators[0] if curators else None, today)
    problems = check_with(settings, source_id, text)
    if problems:
        raise ProposalError("the contribution does not check; nothing was saved", problems)
    with locked(settings):
        _append(settings, source_id, st, new_source, today)
    return st["id"]


def _pending_ids(settings, source_id: str) -> set[str]:
    try:
        return {i.id for i in load(settings, source_id).items}
    except ProposalError:
        return set()


def _append(settings, source_id: str, st: dict, new_source: dict | None, today: _dt.date) -> None:
    import io

    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = path_for(settings, source_id)
    y = _rt()
    if path.exists():
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProposalError(f"data/proposals/{source_id}.yaml is full ({MAX_FILE_BYTES >> 20} MiB): it takes no "
                                "more contributions until its proposals are reviewed")
        doc = y.load(path.read_text(encoding="utf-8"))
        pending = sum(1 for m in doc.get("statements") or [] if (m.get("proposal") or {}).get("status") == "proposed")
        if pending >= MAX_PENDING:
            raise ProposalError(f"data/proposals/{source_id}.yaml has {pending} proposals awaiting review: it takes "
                                "no more until they are reviewed")
    else:
        doc = CommentedMap()
        doc["proposals_for"] = source_id
        doc.yaml_set_start_comment("Contributions awaiting review (oretrace proposals, or the app's Review page).")
    if new_source is not None and not isinstance(doc.get("source"), dict):
        keys = list(doc.keys())
        doc.insert(1 if keys else 0, "source", _commented(new_source, flow_small=False))
    seq = doc.get("statements")
    if not isinstance(seq, list):
        seq = CommentedSeq()
        doc["statements"] = seq
    seq.append(_commented(st, flow_small=False))
    buf = io.StringIO()
    y.dump(doc, buf)
    _atomic_write(path, buf.getvalue())


def update_statement(settings, source_id: str, statement: dict) -> None:
    """Replace a proposed statement (same id) by a reviewer's edit of it, after the format's checks."""
    import io

    from .curated import format as fmt

    sid = statement.get("id")
    with locked(settings):
        props = load(settings, source_id)
        it = props.get(sid) if isinstance(sid, str) else None
        if it is None or it.section != "statements":
            raise ProposalError(f"no proposed statement {sid!r} in data/proposals/{source_id}.yaml")
        if it.status != "proposed":
            raise ProposalError(f"{sid} is already {it.status}; it can no longer be edited")
        new = {**statement, "proposal": it.data.get("proposal")}
        _size_ok(new, "the statement")
        problems = _structure(fmt.PROPOSED_STATEMENT, new, "the statement")
        if problems:
            raise ProposalError("the edit does not check; nothing was saved", problems)
        y = _rt()
        doc = y.load(props.path.read_text(encoding="utf-8"))
        seq = doc.get("statements")
        k = next(i for i, m in enumerate(seq) if isinstance(m, dict) and m.get("id") == sid)
        seq[k] = _commented(new, flow_small=False)
        buf = io.StringIO()
        y.dump(doc, buf)
        _atomic_write(props.path, buf.getvalue())


def update_source(settings, source_id: str, entry: dict) -> None:
    """Replace the proposed entry of a new source by a reviewer's edit of it."""
    import io

    from .curated import format as fmt

    entry = _source_entry(source_id, entry)
    _size_ok(entry, "the source entry")
    problems = _structure(fmt.SOURCE, entry, "the source")
    if problems:
        raise ProposalError("the source entry does not check; nothing was saved", problems)
    with locked(settings):
        props = load(settings, source_id)
        y = _rt()
        doc = y.load(props.path.read_text(encoding="utf-8"))
        if "source" in doc:
            doc["source"] = _commented(entry, flow_small=False)
        else:
            doc.insert(1, "source", _commented(entry, flow_small=False))
        buf = io.StringIO()
        y.dump(doc, buf)
        _atomic_write(props.path, buf.getvalue())


def reject(settings, source_id: str, patterns: list[str], everything: bool = False, today=None) -> dict:
    props = load(settings, source_id)
    chosen = select(props, patterns, everything)
    others = [i.id for i in chosen if i.section != "statements" and not everything]
    if others:
        raise ProposalError(f"{', '.join(others)}: entities and cited sources are not reviewed on their own; they "
                            "join the source file with the statements that need them (reject those statements)")
    chosen = [i for i in chosen if i.section == "statements"]
    todo = [i.id for i in chosen if i.status == "proposed"]
    if todo:
        with locked(settings):
            mark(settings, source_id, todo, "rejected", today)
    return {"rejected": todo, "skipped": [i.id for i in chosen if i.status != "proposed"]}


def _atomic_write(path: Path, text: str) -> None:
    from .extract.output import atomic_write

    atomic_write(path, text)


# ------------------------------------------------------------------ command line
def register(sub) -> dict:
    p = sub.add_parser("proposals", help="review proposed statements: list, show, accept, reject")
    ps = p.add_subparsers(dest="proposals_cmd", required=True)
    a = ps.add_parser("list", help="proposal files, or the proposals of one source with their status")
    a.add_argument("source", nargs="?", help="a source id (data/proposals/ID.yaml)")
    a.add_argument("--status", choices=STATUSES, help="only proposals with this status")
    b = ps.add_parser("show", help="one proposal beside the document's text around its span")
    b.add_argument("source")
    b.add_argument("item", help="a statement id, entity reference or cited source id")
    c = ps.add_parser("accept", help="write proposals into data/sources/ID.yaml (checked first)")
    c.add_argument("source")
    c.add_argument("items", nargs="*", help="ids or glob patterns (quote them: 'src/*-2018')")
    c.add_argument("--all", action="store_true", help="every proposal still proposed")
    c.add_argument("--curator", help="who reviewed them (curator/<id>); default: the source file's curator")
    d = ps.add_parser("reject", help="mark proposals rejected")
    d.add_argument("source")
    d.add_argument("items", nargs="*", help="ids or glob patterns")
    d.add_argument("--all", action="store_true", help="every proposal still proposed")
    return {"proposals": cmd_proposals}


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_proposals(args, settings) -> int:
    try:
        if args.proposals_cmd == "list":
            return _cmd_list(args, settings)
        if args.proposals_cmd == "show":
            return _cmd_show(args, settings)
        if args.proposals_cmd in ("accept", "reject"):
            if not args.items and not args.all:
                _err(f"error: name the proposals to {args.proposals_cmd} (ids or glob patterns), or give --all")
                return EXIT_INPUT
            if args.proposals_cmd == "accept":
                if args.curator and not re.match(r"^curator/[a-z0-9]+(?:-[a-z0-9]+)*$", args.curator):
                    _err(f"error: --curator {args.curator!r} is not a curator reference (write curator/<id>)")
                    return EXIT_INPUT
                r = accept(settings, args.source, args.items, args.all, args.curator)
                if r["file"] is None:
                    print("nothing to accept" + (f" (already decided: {', '.join(r['skipped'])})" if r["skipped"] else ""))
                    return EXIT_OK
                rel = r["file"].relative_to(settings.root) if r["file"].is_relative_to(settings.root) else r["file"]
                print(f"accepted {len(r['accepted'])} proposal{'s' if len(r['accepted']) != 1 else ''} into {rel}"
                      + (f", with {len(r['added'])} they need ({', '.join(r['added'])})" if r["added"] else "")
                      + "; the checker passed them. Run oretrace build to see them in the graph.")
                for s in r["skipped"]:
                    print(f"skipped {s}: already decided")
                return EXIT_OK
            r = reject(settings, args.source, args.items, args.all)
            print(f"rejected {len(r['rejected'])} proposal{'s' if len(r['rejected']) != 1 else ''}")
            for s in r["skipped"]:
                print(f"skipped {s}: already decided")
            return EXIT_OK
    except ProposalError as e:
        _err(f"error: {e}")
        for p in e.problems:
            _err(f"  {p}")
        return EXIT_INPUT
    return EXIT_INPUT


def _cmd_list(args, settings) -> int:
    if not args.source:
        rows = list_files(settings)
        if not rows:
            print("no proposals (oretrace extract DOCUMENT --source ID writes some)")
        for sid, counts in rows:
            if "error" in counts:
                print(f"{sid:40} error: {counts['error']}")
            else:
                print(f"{sid:40} " + ", ".join(f"{n} {s}" for s, n in counts.items()))
        return EXIT_OK
    props = load(settings, args.source)
    for it in props.items:
        if args.status and it.status != args.status:
            continue
        p = it.proposal
        says = " ".join(str(it.data.get("says") or it.data.get("cited_as") or it.data.get("label")
                            or it.data.get("title") or "").split())
        score = p.get("score")
        print(f"{it.status:9} {it.kind:10} {score if score is not None else '':>5} {it.id}  {says[:100]}")
    return EXIT_OK


def _cmd_show(args, settings) -> int:
    props = load(settings, args.source)
    it = props.get(args.item)
    if it is None:
        raise ProposalError(f"no proposal {args.item!r} in data/proposals/{args.source}.yaml "
                            f"(see oretrace proposals list {args.source})")
    from .extract.yamlout import dump

    print(f"# {it.kind}, {it.status}, score {it.proposal.get('score')}")
    print(dump(_clean(it.data)), end="")
    text, warn = passage(props, it)
    if warn:
        _err(f"warning: {warn}")
    if text:
        span = it.proposal.get("span") or {}
        print(f"\n# the document, page {span.get('page')}, characters {span.get('start')}-{span.get('end')} "
              "(the span between \u00bb and \u00ab):")
        print(text)
    return EXIT_OK
