"""`oretrace extract DOCUMENT --source ID`: proposed statements from a report, for review.

Reads a PDF (page by page), HTML, Markdown or plain-text document and writes
`data/proposals/ID.yaml`: figures in prose and tables, citations, entity mentions and relations
as curated statements, each with its score, locator and span. Nothing proposed enters the graph
until `oretrace proposals accept` writes it into data/sources/ID.yaml.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_INPUT = 0, 2


def register(sub) -> dict:
    p = sub.add_parser("extract", help="propose statements from a document (PDF, HTML, Markdown, text) for review")
    p.add_argument("document", help="the document to read")
    p.add_argument("--source", required=True, metavar="ID",
                   help="source id: one the curated files have, or a new one (its entry is proposed too)")
    p.add_argument("--blind", action="store_true",
                   help="ignore what data/sources/ID.yaml already says (its cited sources, statements and the "
                        "entities it declares), as for a document never curated")
    p.add_argument("--min-score", type=float, default=None, help="leave out proposals scored below this (0-1)")
    p.add_argument("--stdout", action="store_true", help="print the proposals instead of writing the file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return {"extract": cmd_extract}


def cmd_extract(args, settings) -> int:
    from .document import DocumentError
    from .output import OutputError, proposals_path, render, atomic_write
    from .pipeline import MIN_SCORE, run

    def say(msg):
        if not args.quiet:
            print(msg, file=sys.stderr)

    try:
        path = proposals_path(settings, args.source)  # refuse a bad id before reading anything
        if args.min_score is not None and not 0 <= args.min_score <= 1:
            print(f"error: --min-score {args.min_score} is outside 0-1", file=sys.stderr)
            return EXIT_INPUT
        ex = run(args.document, args.source, settings, blind=args.blind,
                 min_score=MIN_SCORE if args.min_score is None else args.min_score, progress=say)
        text, warnings = render(ex, settings)
    except (DocumentError, OutputError) as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return EXIT_INPUT
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if ex.source_entry:
        missing = [k for k, ok in (("a title", "title" in ex.source_entry),
                                   ("a publisher or creator", "publisher" in ex.source_entry or
                                    "creator" in ex.source_entry),
                                   ("a year (or year_not_before)", "year" in ex.source_entry)) if not ok]
        if missing:
            print(f"note: the document does not give the new source's {', '.join(missing)}: add them to the "
                  f"proposed source entry before accepting", file=sys.stderr)
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        atomic_write(path, text)
    except OSError as e:
        print(f"error: cannot write {path} ({e.strerror}); nothing was written", file=sys.stderr)
        return EXIT_INPUT
    rel = path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
    n = len(ex.facts)
    print(f"wrote {rel}: {n} proposed statement{'s' if n != 1 else ''}, {len(ex.new_sources)} cited source"
          f"{'s' if len(ex.new_sources) != 1 else ''} and {len(ex.new_entities)} entit"
          f"{'ies' if len(ex.new_entities) != 1 else 'y'} to review (oretrace proposals list {args.source})")
    return EXIT_OK
