"""What the Streamlit app reads from the graph, through `oretrace.query` / `oretrace.store` only.

`connect(settings, endpoint)` gives a `Graph` over a query backend (`oretrace.backend`): the embedded
store of the last build or any SPARQL 1.1 endpoint, both through the one `run(text, timeout, cap)`;
every method answers with plain Python values (strings, numbers, dicts), so the pages never touch
RDF terms. User-written SPARQL goes through `run_user_query`: the read-only policy of
`oretrace.sparqltext`, time-limited and capped. Every failure is an `AppError` in plain words.

(About 540 lines on purpose: `Graph` is the pages' one way into the graph, a short method per
question they ask, all sharing its backend and caches; split across modules it would still be one class.)
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pyoxigraph as ox

from . import backend, cite, query, sparqltext, store, trace
from .config import Settings
from .vocab import DCTERMS, OT, PREFIXES, PROV, QUDT, RDF, RDFS, SKOS, IRIs

READ_FORMS = sparqltext.FORMS  # query forms that only read; anything else is refused by the policy
DEFAULT_TIMEOUT = 30.0  # seconds one of the app's own queries may take
TONNES = {"http://qudt.org/vocab/unit/TONNE": 1.0, "http://qudt.org/vocab/unit/KiloTONNE": 1000.0,
          "http://qudt.org/vocab/unit/KiloGM": 0.001, "http://qudt.org/vocab/unit/GM": 1e-6}

# Kinds of fact on an entity page, by property.
FACT_KINDS = [
    ("What it is", [RDF + "type", RDFS + "label", SKOS + "altLabel", DCTERMS + "description", RDFS + "seeAlso",
                    OT + "elementSymbol", OT + "chemicalFormula", OT + "iso3166Code", OT + "geonamesId",
                    OT + "legalNumber", OT + "measure"]),
    ("Where", [OT + "locatedIn", OT + "country", OT + "region", OT + "town", OT + "partOfSite", OT + "latitude",
               OT + "longitude", OT + "headquarteredIn", OT + "activeIn", PROV + "atLocation", OT + "performedAt"]),
    ("Ownership and control", [OT + "owns", OT + "ownedBy", OT + "operates", OT + "operatedBy", OT + "subsidiaryOf",
                               OT + "partOfGroup", OT + "memberOf", OT + "relationStart", OT + "participant",
                               OT + "funder"]),
    ("Movement and trade", [OT + "material", OT + "origin", OT + "via", OT + "destination", OT + "seller", OT + "buyer",
                            OT + "carrier", OT + "transportMode", OT + "receivingSmelter", OT + "partOfFlow",
                            OT + "nextFlow", OT + "commodityCode", OT + "distanceKm", OT + "durationDays",
                            OT + "quantityNotDisclosed", OT + "feedFrom"]),
    ("Figures", [QUDT + "numericValue", QUDT + "hasUnit", QUDT + "unit", OT + "minValue", OT + "maxValue", OT + "approximate",
                 OT + "estimated", OT + "year", OT + "periodStart", OT + "periodEnd", OT + "subject", OT + "element",
                 OT + "whole", OT + "application", OT + "basis", OT + "rank", OT + "purity", OT + "memberCount",
                 OT + "storageCapacity", OT + "commissioned"]),
    ("Materials and processes", [OT + "containsElement", OT + "containsMineral", OT + "derivedFromMaterial",
                                 OT + "componentOf", OT + "groupMember", OT + "input", OT + "output", OT + "byProduct",
                                 OT + "followedBy", OT + "method", OT + "startYear"]),
    ("Governance and risk", [OT + "royaltyStatus", OT + "royaltyLaw", OT + "dueDiligenceStatus", OT + "setsRoyalty",
                             OT + "setBy", OT + "appliesToMaterial", OT + "jurisdiction", OT + "issuedBy",
                             OT + "condition", OT + "base", OT + "hasRisk", OT + "riskSubject", OT + "involvedActor",
                             OT + "concernsMaterial", OT + "concernsPlace", OT + "operationalStatus"]),
]
_KIND_OF = {p: k for k, ps in FACT_KINDS for p in ps}



class AppError(Exception):
    """Something the app cannot show, in words meant for the user."""


# ------------------------------------------------------------------ terms as plain values
def plain(t):
    """A term as a Python value: IRI string, number, bool or text; None stays None."""
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return t.value
    if isinstance(t, ox.BlankNode):
        return "_:" + t.value
    if isinstance(t, ox.Literal):
        dt = t.datatype.value if t.datatype else ""
        if dt.endswith(("#integer", "#int", "#long", "#nonNegativeInteger", "#gYear")):
            try:
                return int(t.value)
            except ValueError:
                return t.value
        if dt.endswith(("#decimal", "#double", "#float")):
            try:
                return float(t.value)
            except ValueError:
                return t.value
        if dt.endswith("#boolean"):  # XSD allows 1 and 0 as well (Virtuoso writes them)
            return {"true": True, "1": True, "false": False, "0": False}.get(t.value, t.value)
        return t.value
    return str(t)


def is_iri(v) -> bool:
    return isinstance(v, str) and bool(re.match(r"^[a-z][a-z0-9+.-]*:", v)) and " " not in v and not v.startswith("_:")


def iris_in(v) -> list[str]:
    """The IRIs of a cell: [v] for an IRI, the parts of a space-separated list of IRIs (what a
    catalogue query's GROUP_CONCAT of documents, sites or actors gives), else none."""
    if not isinstance(v, str):
        return []
    parts = v.split()
    return parts if parts and all(is_iri(x) for x in parts) else []


term_json = query.term_to_json
json_term = query.term_from_json


# ------------------------------------------------------------------ user queries
UserResult = query.Result  # a user query's result: form, rows or boolean or triples, `truncated` at the cap, seconds


def check_read_only(text: str) -> str:
    """The query form, or AppError in plain words if the text is not a read-only SPARQL query."""
    try:
        return sparqltext.check(query.with_prefixes(text)).form
    except query.QueryError as e:
        raise AppError(plain_error(e)) from None


def plain_error(e) -> str:
    """A query error (or a parser's or endpoint's message) as a short paragraph for the user."""
    msg = str(e)
    if isinstance(e, sparqltext.QueryRefused):
        if msg.startswith("read-only"):
            return ("This is a SPARQL Update. The app only reads the graph: write a SELECT, ASK, CONSTRUCT or "
                    "DESCRIBE query instead.")
        return f"The query was refused: {msg}"
    if isinstance(e, backend.QueryTimeout) and "did not answer" in msg:
        return f"The graph cannot be read: {msg}."
    if isinstance(e, backend.QueryTimeout):
        return f"The query took too long and was stopped ({msg}). Add a LIMIT or narrow the patterns."
    if isinstance(e, backend.Busy):
        return f"The SPARQL endpoint is busy ({msg}). Try again in a moment."
    if isinstance(e, backend.Unreachable):
        return f"The graph cannot be read: {msg}"
    m = re.search(r"(?:error at|at line) (\d+)(?::|, column )(\d+):?\s*", msg)
    if m:  # the parser's whole message (what it expected there), not a first line
        detail = msg[m.end():].strip()
        return f"The query is not valid SPARQL near line {m.group(1)}, column {m.group(2)}" + (f": {detail[:4000]}" if detail else ".")
    if isinstance(e, sparqltext.QuerySyntaxError) or "syntax" in msg.lower():
        return f"The query is not valid SPARQL. {msg.split(':', 1)[-1].strip()[:300]}"
    return msg[:400]


# ------------------------------------------------------------------ the graph
class Graph:
    """Read access to one oretrace graph through a query backend (embedded store or SPARQL endpoint)."""

    def __init__(self, settings: Settings, backend_: backend.Backend):
        self.settings = settings
        self.iris = IRIs(settings.base)
        self.backend = backend_
        self.endpoint = backend_.endpoint
        self.where = backend_.label
        self.manifest: dict = backend_.manifest
        self._catalogue: dict | None = None
        self._names: list[dict] | None = None
        self._statements: list[dict] | None = None

    @property
    def version(self) -> str:
        if self.manifest:
            return self.manifest.get("version", "unknown")
        rows = self.named("app-build-version")
        return rows[0]["v"] if rows else "unknown (the endpoint does not say)"

    # ---------------------------------------------------------- raw access
    def run(self, text: str) -> query.Result:
        """One of the app's own queries (an endpoint backend stops it at its own time limit); a failure
        becomes AppError in plain words."""
        try:
            return self.backend.run(query.with_prefixes(text))
        except query.QueryError as e:
            raise AppError(plain_error(e)) from None

    def select(self, text: str) -> list[dict]:
        """Rows of a SELECT as dicts of plain values."""
        res = self.run(text)
        return [{c: plain(v) for c, v in zip(res.columns, row)} for row in res.rows]

    def named(self, name: str, **params) -> list[dict]:
        """Rows of the catalogue query queries/<name>.rq with its parameters bound, as dicts of plain values."""
        return self.select(self.bound(name, **params))

    def ask(self, name: str, **params) -> bool:
        """The answer of the catalogue ASK query queries/<name>.rq with its parameters bound."""
        res = self.run(self.bound(name, **params))
        if res.boolean is None:
            raise AppError(f"queries/{name}.rq is asked as a yes/no question, but it is not an ASK query.")
        return res.boolean

    def bound(self, name: str, **params) -> str:
        """The text of the catalogue query queries/<name>.rq with its parameters bound as terms
        (a list of values binds one row of VALUES per value)."""
        if self._catalogue is None:
            self._catalogue = query.catalogue(self.settings.queries_dir)
        if name not in self._catalogue:
            raise AppError(f"The app asks the question {name}, but queries/{name}.rq is missing from this checkout.")
        try:
            return query.bind(self._catalogue[name], params, self.iris)
        except query.QueryError as e:
            raise AppError(plain_error(e)) from None

    def run_user_query(self, text: str, timeout: float = 10.0, cap: int = 5000) -> UserResult:
        """A user's query: refused unless read-only, stopped after `timeout` s, cut at `cap` rows."""
        try:
            return self.backend.run(query.with_prefixes(text), timeout=timeout, cap=cap)
        except backend.QueryTimeout:
            raise AppError(f"The query ran longer than {timeout:g} s and was stopped. Add a LIMIT or narrow the "
                           "patterns.") from None
        except query.QueryError as e:
            raise AppError(plain_error(e)) from None

    # ---------------------------------------------------------- labels
    def labels(self, iris) -> dict[str, str]:
        """rdfs:label (English first) of each IRI; IRIs without one get a readable short form."""
        iris = sorted({i for i in iris if is_iri(i)})
        out: dict[str, str] = {}
        for i in range(0, len(iris), 400):
            batch = [x for x in iris[i:i + 400] if _iri_text(x)]
            if not batch:
                continue
            for r in self.named("app-labels", node=batch):
                if r["label"] is not None and r["lang"] in ("en", ""):
                    out.setdefault(r["node"], r["label"])
        for x in iris:
            out.setdefault(x, self.short(x))
        return out

    def short(self, iri: str) -> str:
        """A short name for an IRI: kind/slug for entities, prefix:name for vocabulary terms."""
        return sparqltext.shorten(iri, self.iris.base) if is_iri(iri) else str(iri)

    # ---------------------------------------------------------- overview
    def overview(self) -> dict:
        counts = {"statements": self.named("app-count-statements", provenance=self.iris.provenance_graph)[0]["n"]}
        for name, cls in (("sources", "Source"), ("actors", "Actor"), ("sites", "Site"), ("flows", "Flow"),
                          ("materials", "Material"), ("observations", "Observation")):
            ns = f"{self.iris.base}/id/" if name == "materials" else ""
            counts[name] = self.named("app-count-instances", **{"class": OT + cls, "namespace": ns})[0]["n"]
        counts["triples"] = self.named("app-count-all-triples")[0]["n"]
        counts["inferred"] = self.named("app-count-triples", graph=self.iris.inferred_graph)[0]["n"]
        return counts

    def validation_summary(self) -> dict:
        """Number of validation results by severity, and whether a report exists at all."""
        vg = self.iris.validation_graph
        rows = self.named("app-validation-severities", report=vg)
        present = self.ask("app-graph-present", graph=vg)
        by = {r["sev"].rsplit("#", 1)[-1]: r["n"] for r in rows}
        return {"present": present, "by_severity": by, "total": sum(by.values())}

    def chain_stages(self) -> list[dict]:
        """The chain from mine to product as counts of entities per stage, for the overview picture."""
        stages = [("Mines", ["Mine"]),
                  ("Miners and traders", ["MiningCooperative", "MiningCompany", "StateMiningCompany", "LocalTrader",
                                          "CommodityTrader"]),
                  ("Ports", ["Port"]), ("Smelters and refiners", ["MetallurgicalPlant"]), ("Products", ["EndProduct"])]
        out = []
        for title, classes in stages:
            rows = self.named("app-chain-stage-members", **{"class": [OT + c for c in classes]})
            xs = [r["x"] for r in rows]
            out.append({"title": title, "classes": [OT + c for c in classes], "members": xs})
        labels = self.labels([x for s in out for x in s["members"]])
        for s in out:
            s["members"] = sorted(((x, labels[x]) for x in s["members"]), key=lambda p: p[1].lower())
        return out

    # ---------------------------------------------------------- search and entities
    def search(self, text: str, limit: int = 50) -> list[dict]:
        """Entities and terms named like the text (queries/app-search-names.rq): case, spacing, hyphens,
        accents and a few British/American spellings do not matter ("touch screen" finds touchscreen),
        alternative labels count, a near miss of a long enough name is found last; entities of the data
        come before statements, and both before ontology terms."""
        needle = normalise(text)
        if not needle:
            return []
        if self._names is None:
            by: dict[str, dict] = {}
            for r in self.named("app-search-names", graphs=self.iris.graph(""), inferred=self.iris.inferred_graph,
                                statements=self.iris.statement("")):
                e = by.setdefault(r["x"], {"x": r["x"], "label": r["label"], "type": r["type"], "names": set()})
                e["label"] = e["label"] or r["label"]
                local = re.split(r"[/#]", r["x"].rstrip("/"))[-1]
                e["names"] |= {n for n in (normalise(r["name"] or ""), normalise(local)) if n}
            self._names = list(by.values())
        hits = []
        for e in self._names:
            match = min((0 if n == needle else 1 if n.startswith(needle) else 2 if needle in n else 9) for n in e["names"] or {""})
            if match == 9 and len(needle) >= 5 and any(
                    difflib.SequenceMatcher(None, needle, n).ratio() >= 0.85 for n in e["names"]):
                match = 3
            if match < 9:
                hits.append((self._rank(e["x"]), match, len(e["label"] or e["x"]), (e["label"] or "").lower(), e))
        hits.sort(key=lambda h: h[:4] + (h[4]["x"],))
        return [{"x": e["x"], "label": e["label"] or self.short(e["x"]), "type": e["type"], "data": rank == 0}
                for rank, _, _, _, e in hits[:int(limit)]]

    def _rank(self, iri: str) -> int:
        """0 for an entity of the data, 1 for a statement, citation or index node, 2 for an ontology term, 3 otherwise."""
        parts = self.iris.split(iri) if iri.startswith(self.iris.base + "/id/") else None
        if parts:
            return 1 if parts[0] in ("statement", "citation", "index") else 0
        return 2 if iri.startswith(OT) else 3

    def status(self, iri: str) -> dict:
        """Whether the IRI is deprecated (queries/app-entity-status.rq) and its replacements; or, for an IRI
        that oretrace once released (data/released-iris.txt) and the graph no longer holds, withdrawn."""
        rows = self.named("app-entity-status", node=iri)
        withdrawn = False
        if not rows and not self.exists(iri):
            parts = self.iris.split(iri) if iri.startswith(self.iris.base + "/id/") else None
            withdrawn = bool(parts) and f"{parts[0]}/{parts[1]}" in released_refs(self.settings)
        return {"deprecated": bool(rows), "withdrawn": withdrawn,
                "replacements": [(r["replacement"], r["replacementLabel"]) for r in rows if r["replacement"]]}

    # ---------------------------------------------------------- trace, citations, due diligence
    def trace(self, iri: str, direction: str) -> trace.Trace:
        """The chain from the entity to its ends, hop by hop (oretrace.trace over queries/trace-*.rq)."""
        return trace.walk(lambda name, node: self.named(name, node=node), iri, direction)

    def citation(self, item: str) -> dict | None:
        """The fields to cite a statement or a source (queries/citation.rq through oretrace.cite); None if it is neither."""
        rows = self.named("citation", item=item)
        return cite.record(rows) if rows else None

    def diligence(self, node: str) -> list[dict]:
        """What the sources say about one smelter, refiner or trader's due diligence (queries/app-due-diligence.rq)."""
        return self.named("app-due-diligence", node=node)

    def exists(self, iri: str) -> bool:
        return self.ask("app-exists", node=iri)

    def facts(self, iri: str) -> list[dict]:
        """Every triple with the entity as subject or object, with its graph and citation."""
        pg, ig = self.iris.provenance_graph, self.iris.inferred_graph
        rows = self.named("app-facts", node=iri, provenance=pg, report=self.iris.validation_graph)
        merged: dict[tuple, dict] = {}
        for r in rows:
            key = (r["dir"], r["p"], r["o"], r["g"])
            m = merged.setdefault(key, {**r, "cited": []})
            if r["cited"] and r["cited"] not in m["cited"]:
                m["cited"].append(r["cited"])
        out = list(merged.values())
        for r in out:
            r["inferred"] = r["g"] == ig
            r["origin"] = ("inferred" if r["inferred"] else "ontology" if r["g"] == self.iris.ontology_graph
                           else "provenance" if r["g"] == pg else "statement" if r["doc"] else "other")
            r["kind"] = _KIND_OF.get(r["p"], "Other facts") if r["dir"] == "out" else "Mentioned by"
        return out

    def observations(self, iri: str) -> list[dict]:
        """Figures reported about the entity (queries/app-entity-figures.rq), each with its plain text
        (oretrace.figures) and whether another statement gives the same figure differently
        (queries/source-disagreements.rq, the rule of Findings)."""
        from . import figures

        rows = self.named("app-entity-figures", node=iri)
        clash = {(d["statement1"], d["compared"]) for d in self.disagreements() if d["about"] == iri} | \
                {(d["statement2"], d["compared"]) for d in self.disagreements() if d["about"] == iri}
        symbols = dict(figures.SYMBOLS, **{r["unit"]: r["symbol"] for r in rows if r["unit"] and r["symbol"] is not None})
        for r in rows:
            f = figures.Figure(r["value"], r["min"], r["max"], r["unit"], bool(r["approximate"]), bool(r["estimated"]),
                               r["year"], r["start"], r["end"], r["undated"])
            r["quantity"], r["period"] = figures.quantity(f, symbols), figures.period(f)
            r["disagree"] = (r["statement"], r["measure"]) in clash
        return rows

    def describe(self, iri: str, fmt: str) -> bytes:
        """The entity's asserted and inferred triples (with provenance of their statements) as Turtle or JSON-LD."""
        res = self.run(self.bound("app-describe", node=iri))
        triples = dict.fromkeys(ox.Triple(s if s is not None else node, p, o if o is not None else node)
                                for node, s, p, o in res.rows)
        f = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.JSON_LD
        return ox.serialize(list(triples), format=f, prefixes=PREFIXES if fmt == "ttl" else None)

    # ---------------------------------------------------------- supply chain
    def flow_materials(self) -> list[dict]:
        rows = self.named("app-flow-materials")
        labels = self.labels([r["m"] for r in rows])
        return [{"iri": r["m"], "label": labels[r["m"]], "flows": r["n"]} for r in rows]

    def flow_elements(self) -> list[dict]:
        """Chemical elements carried by flows (as the material, in it, or in its group members), with flow counts."""
        rows = self.named("app-flow-elements")
        labels = self.labels([r["e"] for r in rows])
        return [{"iri": r["e"], "label": labels[r["e"]], "flows": r["n"]} for r in rows]

    def flows(self, material: str | None = None, element: str | None = None) -> list[dict]:
        """Flows with their ends, tonnage and period; optionally only of one material or element."""
        rows = self.named("app-flows")
        if material or element:  # every row of a flow that carries it (its other materials too)
            carry = ({r["f"] for r in rows if r["material"] == material} if material else
                     {r["f"] for r in self.named("app-flows-of-element", element=element)})
            rows = [r for r in rows if r["f"] in carry]
        flows: dict[str, dict] = {}
        for r in rows:
            f = flows.setdefault(r["f"], {"iri": r["f"], "origin": [], "via": [], "destination": [], "seller": [],
                                          "buyer": [], "receivingSmelter": [], "tonnes": None, "value": None,
                                          "unit": None, "year": None, "start": None, "end": None, "parents": [],
                                          "materials": []})
            if r["rel"]:
                lst = f[r["rel"].rsplit("#", 1)[-1]]
                if r["x"] not in lst:
                    lst.append(r["x"])
            if r["value"] is not None and f["value"] is None:
                f["value"], f["unit"] = r["value"], r["unit"]
                if r["unit"] in TONNES and isinstance(r["value"], (int, float)):
                    f["tonnes"] = r["value"] * TONNES[r["unit"]]
            for k, src in (("year", "year"), ("start", "ps"), ("end", "pe")):
                if r[src] is not None:
                    f[k] = r[src]
            if r["parent"] and r["parent"] not in f["parents"]:
                f["parents"].append(r["parent"])
            if r["material"] and r["material"] not in f["materials"]:
                f["materials"].append(r["material"])
        for f in flows.values():
            f["first"] = f["year"] or f["start"]
            f["last"] = f["year"] or f["end"] or f["start"]
        return sorted(flows.values(), key=lambda f: f["iri"])

    def places(self, iris) -> dict[str, dict]:
        """Coordinates (from the entity, its town or the place it lies in) and ISO codes of entities."""
        iris = [i for i in set(iris) if is_iri(i) and ">" not in i]
        if not iris:
            return {}
        rows = [{**r, "x": r["node"]} for r in self.named("app-places", node=iris)]
        out: dict[str, dict] = {}
        for r in rows:
            d = out.setdefault(r["x"], {"lat": None, "lon": None, "code": None, "country": None})
            for k in ("lat", "lon", "code", "country"):
                if r[k] is not None and d[k] is None:
                    d[k] = r[k]
        return out

    def within(self, iris) -> set[tuple[str, str]]:
        """(inner, outer) pairs among the given places and sites: a site in its town, a town in its country..."""
        iris = sorted(i for i in set(iris) if is_iri(i) and ">" not in i)
        if len(iris) < 2:
            return set()
        inside = set(iris)
        return {(r["inner"], r["outer"]) for r in self.named("app-within", inner=iris) if r["outer"] in inside}

    def actor_network(self) -> list[dict]:
        """Ownership, control and trade links between actors (and the sites they own or run)."""
        return self.named("app-actor-network", inferred=self.iris.inferred_graph)

    def types_of(self, iris) -> dict[str, list[str]]:
        iris = [i for i in set(iris) if is_iri(i) and ">" not in i]
        if not iris:
            return {}
        out: dict[str, list[str]] = {}
        for r in self.named("app-types", node=iris):
            out.setdefault(r["node"], []).append(r["type"])
        return out

    # ---------------------------------------------------------- findings
    def validation_results(self) -> list[dict]:
        return self.named("app-validation-results", report=self.iris.validation_graph)

    def shape_info(self) -> dict[str, dict]:
        """Labels and descriptions of the shapes that produced validation results."""
        rows = self.named("app-shape-info")
        out: dict[str, dict] = {}
        for r in rows:
            out.setdefault(r["shape"], {"name": r["name"], "desc": r["desc"]})
        return out

    def royalty_gaps(self) -> list[dict]:
        """Exports of mined indium-bearing material whose royalty is not declared, or not stated at all."""
        return self.named("app-royalty-not-declared")

    def mass_balance(self) -> list[dict]:
        """Flows whose parts add up to more tonnes than the flow itself."""
        rows = self.named("app-flow-parts")
        return [r for r in rows if isinstance(r["parts"], (int, float)) and isinstance(r["wv"], (int, float))
                and r["parts"] > r["wv"] * 1.0001]

    def disagreements(self) -> list[dict]:
        """Pairs of statements giving different values for the same property of a subject, or for the same
        figure (measure, subject, material, element, place, sector, whole, period and unit): the
        catalogue's queries/source-disagreements.rq, so that every page counts them alike."""
        return self.named("source-disagreements")

    # ---------------------------------------------------------- sources
    def sources(self) -> list[dict]:
        """Every source with its kind, year, publisher, the statements taken from it and those citing it."""
        return self.named("app-sources", provenance=self.iris.provenance_graph,
                          namespace=f"{self.iris.base}/id/source/")

    def statements(self, source: str | None = None, curator: str | None = None, confidence: str | None = None) -> list[dict]:
        if self._statements is None:
            rows = [r for r in self.named("app-statements", provenance=self.iris.provenance_graph) if r["loc"] is not None]
            # in the query's order (file, line, id; statements without a file first) whatever the store does
            # with unbound values
            self._statements = sorted(rows, key=lambda r: (r["file"] is not None, str(r["file"] or ""),
                                                           r["line"] if isinstance(r["line"], int) else -1, str(r["sid"] or "")))
        return [dict(r) for r in self._statements
                if (not source or r["doc"] == source or source in (r["cites"] or "").split())
                and (not curator or r["curator"] == curator) and (not confidence or r["conf"] == confidence)]

    def statement_triples(self, graphs: list[str]) -> dict[str, list[dict]]:
        """What each statement graph asserts, as (s, p, o) rows."""
        out: dict[str, list[dict]] = {}
        for i in range(0, len(graphs), 300):
            batch = [g for g in graphs[i:i + 300] if ">" not in g]
            for r in self.named("app-statement-triples", g=batch) if batch else []:
                out.setdefault(r["g"], []).append(r)
        for rows in out.values():  # the type first, then by subject, property and value, on every store
            rows.sort(key=lambda r: (str(r["s"]), r["p"] != RDF + "type", str(r["p"]), str(r["o"])))
        return out

    def curators(self) -> list[str]:
        return [r["c"] for r in self.named("app-curators", provenance=self.iris.provenance_graph)]

VARIANTS = (("aluminium", "aluminum"), ("sulph", "sulf"), ("colour", "color"), ("centre", "center"),
            ("metre", "meter"), ("tonne", "ton"))  # spellings searched alike


def normalise(text: str) -> str:
    """A name as search compares it: lower case, accents and everything but letters and digits dropped,
    British spellings written the American way."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    for a, b in VARIANTS:
        t = t.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "", t)


def released_refs(settings: Settings) -> set[str]:
    """The kind/slug of every entity IRI oretrace has released (data/released-iris.txt)."""
    path = settings.data_dir / "released-iris.txt"
    if not path.is_file():
        return set()
    return {x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")}


def _iri_text(iri: str) -> str | None:
    """An IRI written as a SPARQL term, or None if it is not a valid IRI."""
    try:
        return sparqltext.iri(iri)
    except ValueError:
        return None


def connect(settings: Settings, endpoint: str | None = None, timeout: float | None = None) -> Graph:
    """The graph the app shows: the last build's store, or the given SPARQL endpoint (AppError if neither)."""
    t = DEFAULT_TIMEOUT if timeout is None else timeout
    try:
        return Graph(settings, backend.for_settings(settings, endpoint, timeout=t))
    except store.NoBuildError as e:
        raise AppError(str(e)) from None
