"""Trace a material hop by hop: from a product back to the mine, or from a mine on to the products.

`walk` follows the chain from one entity, one step at a time, with the catalogue's
queries/trace-upstream.rq or trace-downstream.rq (so the same question runs on any store), to the
ends of the chain: processes and the materials they take in and give out, flows and the flows and
processes they join, by-products, derived materials and components. Every hop carries the statement
that states it, so a chain can be printed with a citation per hop. The performers and places of a
process are recorded as the ends they are (a trace does not walk on from a company to everything
else it does).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from .vocab import OT

ENDS = {OT + "performedBy", OT + "performedAt"}  # links a walk records but does not go on from
# A material link (made by, taken in, derived from, component of) tells what the metal is at each
# hop; a sequence link (one step follows another) only that they follow. A walk prefers the first:
# each hop is reached by its cheapest path, sequence links costing more.
SEQUENCE = {OT + "followedBy", OT + "nextFlow", OT + "toProcess", OT + "fromProcess"}
COST = {True: 3, False: 1}
MAX_NODES = 400  # nodes a walk reaches at most (the trace says when it stopped there)


@dataclass
class Hop:
    """One link of a trace: `node` is reached from `parent` by `link`, as `statement` says."""

    depth: int
    parent: str
    node: str
    link: str
    statement: str
    document: str
    where: str
    end: bool = False  # a performer or place: recorded, not walked on from


@dataclass
class Trace:
    start: str
    direction: str  # "upstream" or "downstream"
    hops: list[Hop] = field(default_factory=list)
    stopped: bool = False  # the walk met MAX_NODES before the chain's ends

    def path_to(self, target: str) -> list[Hop]:
        """The hops from the start to `target`, in order (empty if the trace does not reach it)."""
        by_node = {h.node: h for h in self.hops}
        out, node = [], target
        while node in by_node and node != self.start:
            out.append(by_node[node])
            node = by_node[node].parent
        return list(reversed(out)) if node == self.start else []

    def reaches(self, target: str) -> bool:
        return any(h.node == target for h in self.hops)


def walk(select: Callable[[str, str], list[dict]], start: str, direction: str = "upstream",
         max_nodes: int = MAX_NODES) -> Trace:
    """Walk the chain from `start` (an IRI); `select(query_name, node)` runs a catalogue query bound
    to one node and gives its rows as dicts of IRI strings."""
    if direction not in ("upstream", "downstream"):
        raise ValueError(f"direction must be upstream or downstream, not {direction!r}")
    name, other = (("trace-upstream", "previous") if direction == "upstream" else ("trace-downstream", "next"))
    trace = Trace(start, direction)
    best: dict[str, tuple[int, int, Hop | None]] = {start: (0, 0, None)}  # node -> (cost, depth, hop)
    heap, done, order = [(0, 0, start)], set(), 0
    while heap:
        cost, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        hop = best[node][2]
        if hop is not None:
            trace.hops.append(hop)
            if hop.end:
                continue
        for r in select(name, node):
            nxt = r[other]
            if not isinstance(nxt, str) or nxt in done:
                continue
            c = cost + COST[r["link"] in SEQUENCE]
            if nxt not in best and len(best) >= max_nodes:
                trace.stopped = True
                continue
            if nxt not in best or c < best[nxt][0]:
                depth = best[node][1] + 1
                # upstream, a performer or place ends the walk; downstream, it is where it starts
                best[nxt] = (c, depth, Hop(depth, node, nxt, r["link"], r["statement"], r["document"], r["where"],
                                           direction == "upstream" and r["link"] in ENDS))
                order += 1
                heapq.heappush(heap, (c, order, nxt))
    trace.hops.sort(key=lambda h: (h.depth, h.node))
    return trace
