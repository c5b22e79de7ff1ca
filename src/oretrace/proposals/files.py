"""data/proposals/ID.yaml read and checked against the proposal-file format; items chosen by id or
pattern; the document's passage around a span; the lock and the atomic write every writer uses."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ..vocab import SLUG
from .model import STATUSES, Item, ProposalError, Proposals


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
    from ..curated import format as fmt, yamlio

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
    from ..extract import registry

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
    from ..extract import document

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


def _pending_ids(settings, source_id: str) -> set[str]:
    try:
        return {i.id for i in load(settings, source_id).items}
    except ProposalError:
        return set()


def _atomic_write(path: Path, text: str) -> None:
    from ..extract.output import atomic_write

    atomic_write(path, text)
