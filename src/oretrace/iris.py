"""The released IRIs (data/released-iris.txt): every entity IRI oretrace has published, as kind/slug.

`oretrace iris --update` appends the entities of the current build that the list lacks; nothing is
ever removed, so each IRI keeps resolving (tests/test_data_iris.py), as the entity, a redirect to its
replacement, or 410 Gone for one withdrawn (serve.py).
"""

from __future__ import annotations

import sys

from .vocab import KINDS, IRIs

LISTED_KINDS = tuple(k for k in KINDS)


def entity_refs(store, iris: IRIs) -> list[str]:
    """The kind/slug of every entity the store's statement graphs describe."""
    out = set()
    for r in store.query(f"SELECT DISTINCT ?x WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g <https://w3id.org/oretrace/ontology#about> ?x }} }}"):
        parts = iris.split(r["x"].value)
        if parts and parts[0] in LISTED_KINDS and "#" not in parts[1]:
            out.add(f"{parts[0]}/{parts[1]}")
    return sorted(out)


def cmd_iris(args, settings) -> int:
    from . import store as store_mod

    path = settings.data_dir / "released-iris.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    listed = {x for x in lines if x and not x.startswith("#")}
    try:
        st = store_mod.open_store(settings)
    except store_mod.NoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    new = [r for r in entity_refs(st, IRIs(settings.base)) if r not in listed]
    if args.update and new:
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(r + "\n" for r in new))
    print(f"{len(new)} entity IRI(s) of this build {'added to' if args.update else 'missing from'} {path.name}"
          + ("" if args.update or not new else ": run `oretrace iris --update`"))
    return 0 if args.update or not new else 1


def register(sub) -> dict:
    p = sub.add_parser("iris", help="list (or --update) the released entity IRIs that must keep resolving")
    p.add_argument("--update", action="store_true", help="append this build's new entity IRIs to data/released-iris.txt")
    return {"iris": cmd_iris}
