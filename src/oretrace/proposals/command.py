"""`oretrace proposals list|show|accept|reject` on the command line; a ProposalError becomes its
message on stderr and exit 2."""

from __future__ import annotations

import re
import sys

from ..errors import EXIT_INPUT, EXIT_OK
from .accept import accept, reject
from .files import list_files, load, passage
from .model import STATUSES, ProposalError
from .yamlrt import _clean


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
    from ..extract.yamlout import dump

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
