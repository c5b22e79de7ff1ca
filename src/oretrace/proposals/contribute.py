"""Contributions from the app (a new fact, or a dispute of a statement) saved as proposals, and a
reviewer's edits of a proposed statement or source entry; each checked before anything is written."""

from __future__ import annotations

import datetime as _dt

from ..extract.model import unique
from .accept import check_with, closure, merged_text
from .files import _atomic_write, _pending_ids, load, locked, path_for
from .model import Item, ProposalError, Proposals
from .yamlrt import _commented, _rt, _rt_text

MAX_ITEM_BYTES = 20_000  # one contribution or edited statement, as YAML
MAX_FILE_BYTES = 4 << 20  # a proposals file that grows past this takes no more contributions
MAX_PENDING = 2000  # nor when this many of its statements await review


def _structure(record, m: dict, what: str) -> list[str]:
    from ..curated import format as fmt

    issues: list = []
    fmt.check(record, m, lambda obj, key=None, default=1: 1, issues)
    return [f"{what}: {i.message}" for i in issues]


def _source_entry(source_id: str, entry: dict) -> dict:
    """A source entry from a form: its id first, empty fields left out."""
    return {"id": source_id, **{k: v for k, v in entry.items() if v not in (None, "", []) and k != "id"}}


def _size_ok(m: dict, what: str) -> None:
    from ..extract.yamlout import dump

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
    from ..extract import registry

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
    from ..curated import format as fmt

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


def _append(settings, source_id: str, st: dict, new_source: dict | None, today: _dt.date) -> None:
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
    _atomic_write(path, _rt_text(y, doc))


def update_statement(settings, source_id: str, statement: dict) -> None:
    """Replace a proposed statement (same id) by a reviewer's edit of it, after the format's checks."""
    from ..curated import format as fmt

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
        _atomic_write(props.path, _rt_text(y, doc))


def update_source(settings, source_id: str, entry: dict) -> None:
    """Replace the proposed entry of a new source by a reviewer's edit of it."""
    from ..curated import format as fmt

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
        _atomic_write(props.path, _rt_text(y, doc))
