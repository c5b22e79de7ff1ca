"""Accepting and rejecting: the chosen statements with what they need, merged into
data/sources/ID.yaml and checked on a throw-away copy of data/ before anything is written; the
status marked in the proposals file."""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from pathlib import Path

from ..extract.model import unique
from ..vocab import REF
from .files import _atomic_write, load, locked, path_for, select
from .model import STATUSES, Item, ProposalError, Proposals
from .yamlrt import _clean, _commented, _rt, _rt_text


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
    return _rt_text(y, doc)


def _only_curator(settings) -> str:
    from ..extract import registry

    reg = registry.load(settings)
    curators = sorted(r for r in reg.entities if r.startswith("curator/"))
    if len(curators) == 1:
        return curators[0]
    raise ProposalError("a new source file needs its curator: give --curator curator/<id>")


def _statement_ids(settings) -> set[str]:
    from ..extract import registry

    return registry.load(settings).statement_ids


def check_with(settings, source_id: str, text: str, checker=None) -> list[str]:
    """The checker's problems for the curated files with data/sources/ID.yaml replaced by `text`,
    read from a throw-away copy of data/ (the checker reads only regular files inside data/), so
    nothing real changes until the result checks."""
    from .. import curated

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
    _atomic_write(p, _rt_text(y, doc))


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
