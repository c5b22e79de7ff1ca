"""What the Streamlit app reads from the graph, through `oretrace.query` / `oretrace.store` only.

`connect(settings, endpoint)` gives a `Graph` over the embedded store of the last build or over any
SPARQL 1.1 endpoint; every method answers with plain Python values (strings, numbers, dicts), so
the pages never touch RDF terms. User-written SPARQL goes through `run_user_query`: read-only,
time-limited and capped, with errors in plain words.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import query, store
from .config import Settings
from .vocab import DCTERMS, OT, PREFIXES, PROV, QUDT, RDF, RDFS, SH, SKOS, IRIs

# Query forms that only read; anything else (INSERT, DELETE, LOAD, CLEAR, DROP, ...) is refused.
READ_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
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

UPSTREAM = f"<{OT}origin>|<{OT}seller>|<{OT}via>"
DOWNSTREAM = f"<{OT}destination>|<{OT}buyer>|<{OT}receivingSmelter>"


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
        if dt.endswith("#boolean"):
            return t.value == "true"
        return t.value
    return str(t)


def is_iri(v) -> bool:
    return isinstance(v, str) and bool(re.match(r"^[a-z][a-z0-9+.-]*:", v)) and " " not in v and not v.startswith("_:")


term_json = query.term_to_json
json_term = query.term_from_json


# ------------------------------------------------------------------ user queries
@dataclass
class UserResult:
    """A user query's result, capped; `truncated` says rows were cut at the cap."""

    form: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)  # pyoxigraph terms or None
    boolean: bool | None = None
    triples: list | None = None
    truncated: bool = False
    seconds: float = 0.0


_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*')


def _skeleton(text: str) -> str:
    """The query with comments removed and every string and IRI emptied, so keywords can be read safely."""
    def repl(m):
        t = m.group(0)
        return " " if t.startswith("#") else ('""' if t[0] in "\"'" else "<>")
    return _TOKENS.sub(repl, text)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE, or the first keyword of an update (INSERT, DELETE, ...)."""
    body = re.sub(r"(?is)^\s*((PREFIX\s+[\w.-]*:\s*<>|BASE\s*<>)\s*)*", "", _skeleton(text))
    m = re.match(r"\s*(\w+)", body)
    return m.group(1).upper() if m else ""


def check_read_only(text: str) -> str:
    """The query form, or AppError in plain words if the text would change data or is empty."""
    form = query_form(text)
    if not form:
        raise AppError("The query is empty: write a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    if form not in READ_FORMS:
        raise AppError(f"This is a SPARQL Update ({form}). The app only reads the graph: "
                       "write a SELECT, ASK, CONSTRUCT or DESCRIBE query instead.")
    if re.search(r"(?i)\b(INSERT|DELETE)\s+(DATA\s*)?(WHERE\s*)?\{|\b(LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\s+(SILENT\s+)?(GRAPH|DEFAULT|NAMED|ALL|<)",
                 _skeleton(text)):
        raise AppError("The query contains a SPARQL Update operation. The app only reads the graph.")
    return form


def plain_error(msg: str) -> str:
    """A parser or endpoint message turned into a short sentence for the user."""
    m = re.search(r"error at (\d+):(\d+):?\s*([^\n'\"]*)", msg)
    if m:
        detail = m.group(3).strip()
        return f"The query is not valid SPARQL near line {m.group(1)}, column {m.group(2)}" + (f": {detail[:300]}" if detail else ".")
    if "syntax" in msg.lower() or "QueryBadFormed" in msg:
        detail = msg.split("Response:", 1)[-1] if "Response:" in msg else msg.split(":", 1)[-1]
        return f"The query is not valid SPARQL. {detail.strip()[:300]}"
    return msg[:400]


def _store_worker(path: str, text: str, cap: int, conn) -> None:
    """Run one query in a child process on a read-only store; send back JSON."""
    try:
        st = ox.Store.read_only(path)
        res = st.query(text, use_default_graph_as_union=True)
        if isinstance(res, ox.QueryBoolean):
            out = {"boolean": bool(res)}
        elif isinstance(res, ox.QuerySolutions):
            cols = [v.value for v in res.variables]
            rows, truncated = [], False
            for sol in res:
                if len(rows) >= cap:
                    truncated = True
                    break
                rows.append([term_json(sol[c]) for c in cols])
            out = {"columns": cols, "rows": rows, "truncated": truncated}
        else:
            triples, truncated = [], False
            for t in res:
                if len(triples) >= cap:
                    truncated = True
                    break
                triples.append(t)
            out = {"nt": ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), "truncated": truncated}
        conn.send(json.dumps(out))
    except SyntaxError as e:
        conn.send(json.dumps({"error": plain_error(f"syntax: {e}")}))
    except Exception as e:  # noqa: BLE001 - every failure goes back to the user as words
        conn.send(json.dumps({"error": plain_error(str(e))}))
    finally:
        conn.close()


# ------------------------------------------------------------------ the graph
class Graph:
    """Read access to one oretrace graph (embedded store or SPARQL endpoint)."""

    def __init__(self, settings: Settings, endpoint: str | None = None):
        self.settings = settings
        self.iris = IRIs(settings.base)
        self.endpoint = endpoint
        self._store = None
        self.manifest: dict = {}
        if endpoint:
            self.where = endpoint
        else:
            try:
                self.release = store.current_release(settings)
                self.manifest = store.manifest(settings)
                self._store = store.open_store(settings)
            except store.NoBuildError as e:
                raise AppError(str(e)) from None
            self.where = str(self.release)

    @property
    def version(self) -> str:
        if self.manifest:
            return self.manifest.get("version", "unknown")
        rows = self.select(f"SELECT ?v WHERE {{ ?d <{OT}buildVersion> ?v }} LIMIT 1")
        return rows[0]["v"] if rows else "unknown (the endpoint does not say)"

    # ---------------------------------------------------------- raw access
    def run(self, text: str) -> query.Result:
        text = query.with_prefixes(text)
        if self.endpoint:
            return query.run_endpoint(self.endpoint, text)
        return query.run_store(self._store, text)

    def select(self, text: str) -> list[dict]:
        """Rows of a SELECT as dicts of plain values."""
        res = self.run(text)
        return [{c: plain(v) for c, v in zip(res.columns, row)} for row in res.rows]

    def run_user_query(self, text: str, timeout: float = 10.0, cap: int = 5000) -> UserResult:
        """A user's query: refused unless read-only, stopped after `timeout` s, cut at `cap` rows."""
        import time

        form = check_read_only(text)
        text = query.with_prefixes(text)
        t0 = time.perf_counter()
        if self.endpoint:
            try:
                res = query.run_endpoint(self.endpoint, text, timeout=int(max(1, timeout)))
            except query.QueryError as e:
                raise AppError(plain_error(str(e))) from None
            out = UserResult(form, res.columns, res.rows[:cap], res.boolean, res.triples,
                             truncated=len(res.rows) > cap)
            if out.triples is not None and len(out.triples) > cap:
                out.triples, out.truncated = out.triples[:cap], True
            out.seconds = time.perf_counter() - t0
            return out
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_store_worker, args=(str(self.release / "store"), text, cap, child), daemon=True)
        proc.start()
        child.close()
        try:
            if not parent.poll(timeout):
                raise AppError(f"The query ran longer than {timeout:g} s and was stopped. "
                               "Add a LIMIT or narrow the patterns.")
            data = json.loads(parent.recv())
        except EOFError:
            raise AppError("The query stopped without an answer (it may have used too much memory).") from None
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(2)
            parent.close()
        if "error" in data:
            raise AppError(data["error"])
        out = UserResult(form, seconds=time.perf_counter() - t0, truncated=data.get("truncated", False))
        if "boolean" in data:
            out.boolean = data["boolean"]
        elif "columns" in data:
            out.columns = data["columns"]
            out.rows = [[json_term(c) for c in row] for row in data["rows"]]
        else:
            out.triples = list(ox.parse(data["nt"], format=ox.RdfFormat.N_TRIPLES))
        return out

    # ---------------------------------------------------------- labels
    def labels(self, iris) -> dict[str, str]:
        """rdfs:label (English first) of each IRI; IRIs without one get a readable short form."""
        iris = sorted({i for i in iris if is_iri(i)})
        out: dict[str, str] = {}
        for i in range(0, len(iris), 400):
            chunk = iris[i:i + 400]
            vals = " ".join(f"<{x}>" for x in chunk if ">" not in x)
            for r in self.select(f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {vals} }} ?x <{RDFS}label> ?l . "
                                 f"FILTER(LANG(?l) = 'en' || LANG(?l) = '') }}"):
                out.setdefault(r["x"], r["l"])
        for x in iris:
            out.setdefault(x, self.short(x))
        return out

    def short(self, iri: str) -> str:
        """A short name for an IRI: kind/slug for entities, prefix:name for vocabulary terms."""
        return query.value_text(ox.NamedNode(iri), iris=self.iris) if is_iri(iri) else str(iri)

    # ---------------------------------------------------------- overview
    def overview(self) -> dict:
        counts = {}
        pg = self.iris.provenance_graph
        q = f"""SELECT
          (COUNT(DISTINCT ?st) AS ?statements) WHERE {{ GRAPH <{pg}> {{ ?st a <{OT}Statement> }} }}"""
        counts["statements"] = self.select(q)[0]["statements"]
        for name, cls in (("sources", "Source"), ("actors", "Actor"), ("sites", "Site"), ("flows", "Flow"),
                          ("materials", "Material"), ("observations", "Observation")):
            base_filter = f"FILTER(STRSTARTS(STR(?x), '{self.iris.base}/id/'))" if name == "materials" else ""
            counts[name] = self.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{OT}{cls}> {base_filter} }}")[0]["n"]
        counts["triples"] = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
        counts["inferred"] = self.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self.iris.inferred_graph}> {{ ?s ?p ?o }} }}")[0]["n"]
        return counts

    def validation_summary(self) -> dict:
        """Number of validation results by severity, and whether a report exists at all."""
        vg = self.iris.validation_graph
        rows = self.select(f"""SELECT ?sev (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH <{vg}> {{
            ?r a <{SH}ValidationResult> . OPTIONAL {{ ?r <{SH}resultSeverity> ?s0 }}
            BIND(COALESCE(?s0, <{SH}Violation>) AS ?sev) }} }} GROUP BY ?sev""")
        present = bool(self.select(f"SELECT ?s WHERE {{ GRAPH <{vg}> {{ ?s ?p ?o }} }} LIMIT 1"))
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
            vals = " ".join(f"<{OT}{c}>" for c in classes)
            rows = self.select(f"SELECT DISTINCT ?x WHERE {{ VALUES ?c {{ {vals} }} ?x a ?c }} LIMIT 200")
            xs = [r["x"] for r in rows]
            out.append({"title": title, "classes": [OT + c for c in classes], "members": xs})
        labels = self.labels([x for s in out for x in s["members"]])
        for s in out:
            s["members"] = sorted(((x, labels[x]) for x in s["members"]), key=lambda p: p[1].lower())
        return out

    # ---------------------------------------------------------- search and entities
    def search(self, text: str, limit: int = 50) -> list[dict]:
        """Entities whose label, alternative label or IRI contains the text (case-insensitive)."""
        needle = json.dumps(text.strip().lower())
        rows = self.select(f"""SELECT ?x (MIN(?l0) AS ?label) (MIN(?t0) AS ?type) WHERE {{
            ?x <{RDFS}label>|<{SKOS}altLabel>|<{DCTERMS}title> ?name .
            FILTER(STRSTARTS(STR(?x), "{self.iris.base}/id/") || STRSTARTS(STR(?x), "{OT}"))
            FILTER(CONTAINS(LCASE(STR(?name)), {needle}) || CONTAINS(LCASE(STR(?x)), {needle}))
            OPTIONAL {{ ?x <{RDFS}label> ?l0 }}
            OPTIONAL {{ GRAPH ?g {{ ?x a ?t0 }} FILTER(?g != <{self.iris.inferred_graph}>) }}
        }} GROUP BY ?x ORDER BY STRLEN(STR(?label)) LCASE(STR(?label)) ?x LIMIT {int(limit)}""")
        for r in rows:
            r["label"] = r["label"] or self.short(r["x"])
        return rows

    def exists(self, iri: str) -> bool:
        return bool(self.select(f"SELECT ?p WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }} LIMIT 1"))

    def facts(self, iri: str) -> list[dict]:
        """Every triple with the entity as subject or object, with its graph and citation."""
        pg, ig = self.iris.provenance_graph, self.iris.inferred_graph
        vg = self.iris.validation_graph
        rows = self.select(f"""SELECT ?dir ?p ?o ?g ?doc ?loc ?cited ?conf ?para ?sid ?curator WHERE {{
          {{ GRAPH ?g {{ <{iri}> ?p ?o }} BIND("out" AS ?dir) }}
          UNION {{ GRAPH ?g {{ ?o ?p <{iri}> }} BIND("in" AS ?dir) }}
          FILTER(?g != <{vg}>)
          OPTIONAL {{ GRAPH <{pg}> {{ ?g <{OT}citation> ?c . ?c <{OT}document> ?doc ; <{OT}locatorText> ?loc .
             OPTIONAL {{ ?g <{OT}confidence> ?conf }} OPTIONAL {{ ?g <{OT}paraphrase> ?para }}
             OPTIONAL {{ ?g <{DCTERMS}identifier> ?sid }} OPTIONAL {{ ?g <{PROV}wasAttributedTo> ?curator }} }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?g <{OT}citesSource> ?cited }} }}
        }}""")
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

    def conflicts(self, facts: list[dict]) -> list[dict]:
        """Properties of the entity given different literal values by different statements."""
        by: dict[str, dict] = {}
        for f in facts:
            if f["dir"] != "out" or f["inferred"] or is_iri(f["o"]) or f["p"] in (RDFS + "label", SKOS + "altLabel",
                                                                                   DCTERMS + "description"):
                continue
            by.setdefault(f["p"], {}).setdefault(str(f["o"]), []).append(f)
        return [{"p": p, "values": vals} for p, vals in by.items() if len(vals) > 1]

    def observations(self, iri: str) -> list[dict]:
        """Figures reported about the entity, with their sources."""
        pg = self.iris.provenance_graph
        return self.select(f"""SELECT ?obs ?cls ?measure ?material ?element ?place ?sector ?year ?ps ?pe ?value ?min ?max ?unit
                                      ?doc ?loc ?g WHERE {{
          GRAPH ?g {{ ?obs <{OT}subject> <{iri}> }}
          OPTIONAL {{ ?obs <{OT}measures> ?measure }} OPTIONAL {{ ?obs <{OT}place> ?place }} OPTIONAL {{ ?obs <{OT}sector> ?sector }}
          ?obs a ?cls . FILTER(STRSTARTS(STR(?cls), "{OT}") && ?cls != <{OT}Observation>)
          FILTER NOT EXISTS {{ ?sub <{RDFS}subClassOf> ?cls . ?obs a ?sub . FILTER(?sub != ?cls) }}
          OPTIONAL {{ ?obs <{OT}material> ?material }} OPTIONAL {{ ?obs <{OT}element> ?element }}
          OPTIONAL {{ ?obs <{OT}year> ?year }} OPTIONAL {{ ?obs <{OT}periodStart> ?ps }} OPTIONAL {{ ?obs <{OT}periodEnd> ?pe }}
          OPTIONAL {{ ?obs <{QUDT}numericValue> ?value }} OPTIONAL {{ ?obs <{OT}minValue> ?min }}
          OPTIONAL {{ ?obs <{OT}maxValue> ?max }} OPTIONAL {{ ?obs (<{QUDT}hasUnit>|<{QUDT}unit>) ?unit }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?g <{OT}citation> ?c . ?c <{OT}document> ?doc ; <{OT}locatorText> ?loc }} }}
        }} ORDER BY ?cls ?year ?obs""")

    def neighbours(self, iri: str) -> dict[str, list[str]]:
        """Entities one step upstream and downstream of this one in the supply chain."""
        e = f"<{iri}>"
        up = f"""SELECT DISTINCT ?n WHERE {{
          {{ ?f {DOWNSTREAM} {e} . ?f {UPSTREAM} ?n }}
          UNION {{ {e} a <{OT}Flow> ; {UPSTREAM} ?n }}
          UNION {{ ?n <{OT}nextFlow> {e} }}
          UNION {{ {e} <{OT}derivedFromMaterial> ?n }} UNION {{ ?n <{OT}componentOf> {e} }}
          UNION {{ ?proc <{OT}output> {e} ; <{OT}input> ?n }}
          FILTER(?n != {e}) }} LIMIT 200"""
        down = f"""SELECT DISTINCT ?n WHERE {{
          {{ ?f {UPSTREAM} {e} . ?f {DOWNSTREAM} ?n }}
          UNION {{ {e} a <{OT}Flow> ; {DOWNSTREAM} ?n }}
          UNION {{ {e} <{OT}nextFlow> ?n }}
          UNION {{ ?n <{OT}derivedFromMaterial> {e} }} UNION {{ {e} <{OT}componentOf> ?n }}
          UNION {{ ?proc <{OT}input> {e} ; <{OT}output> ?n }}
          FILTER(?n != {e}) }} LIMIT 200"""
        return {"upstream": [r["n"] for r in self.select(up)], "downstream": [r["n"] for r in self.select(down)]}

    def describe(self, iri: str, fmt: str) -> bytes:
        """The entity's asserted and inferred triples (with provenance of their statements) as Turtle or JSON-LD."""
        res = self.run(f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?p2 <{iri}> }} WHERE {{ "
                       f"{{ <{iri}> ?p ?o }} UNION {{ ?s ?p2 <{iri}> }} }}")
        f = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.JSON_LD
        return ox.serialize(res.triples or [], format=f, prefixes=PREFIXES if fmt == "ttl" else None)

    # ---------------------------------------------------------- supply chain
    def flow_materials(self) -> list[dict]:
        rows = self.select(f"""SELECT ?m (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?f a <{OT}Flow> ; <{OT}material> ?m }}
                               GROUP BY ?m ORDER BY DESC(?n)""")
        labels = self.labels([r["m"] for r in rows])
        return [{"iri": r["m"], "label": labels[r["m"]], "flows": r["n"]} for r in rows]

    def flow_elements(self) -> list[dict]:
        """Chemical elements carried by flows (as the material, in it, or in its group members), with flow counts."""
        rows = self.select(f"""SELECT ?e (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?f a <{OT}Flow> ; <{OT}material> ?mm .
          ?mm (<{OT}containsElement>|<{OT}groupMember>/<{OT}containsElement>)? ?e . ?e a <{OT}ChemicalElement> }}
          GROUP BY ?e ORDER BY DESC(?n) ?e""")
        labels = self.labels([r["e"] for r in rows])
        return [{"iri": r["e"], "label": labels[r["e"]], "flows": r["n"]} for r in rows]

    def flows(self, material: str | None = None, element: str | None = None) -> list[dict]:
        """Flows with their ends, tonnage and period; optionally only of one material or element."""
        cond = ""
        if material:
            cond = f"?f <{OT}material> <{material}> ."
        elif element:
            cond = f"?f <{OT}material> ?mm . ?mm (<{OT}containsElement>|<{OT}groupMember>/<{OT}containsElement>)? <{element}> ."
        rows = self.select(f"""SELECT ?f ?rel ?x ?value ?unit ?year ?ps ?pe ?parent ?material WHERE {{
          ?f a <{OT}Flow> . {cond}
          OPTIONAL {{ ?q <{OT}subject> ?f ; <{OT}measures>/<{SKOS}broader>* <{OT}FlowQuantity> ;
                     <{QUDT}numericValue> ?value ; <{QUDT}hasUnit> ?unit }}
          OPTIONAL {{ ?f <{OT}year> ?year }} OPTIONAL {{ ?f <{OT}periodStart> ?ps }} OPTIONAL {{ ?f <{OT}periodEnd> ?pe }}
          OPTIONAL {{ ?f <{OT}partOfFlow> ?parent }}
          OPTIONAL {{ ?f <{OT}material> ?material }}
          OPTIONAL {{ VALUES ?rel {{ <{OT}origin> <{OT}via> <{OT}destination> <{OT}seller> <{OT}buyer> <{OT}receivingSmelter> }}
                     ?f ?rel ?x }}
        }}""")
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
        vals = " ".join(f"<{x}>" for x in iris)
        rows = self.select(f"""SELECT ?x ?lat ?lon ?code ?country WHERE {{ VALUES ?x {{ {vals} }}
          OPTIONAL {{ ?x (<{OT}town>|<{OT}locatedIn>|<{OT}headquarteredIn>)? ?p . ?p <{OT}latitude> ?lat ; <{OT}longitude> ?lon }}
          OPTIONAL {{ ?x <{OT}iso3166Code> ?code }}
          OPTIONAL {{ ?x <{OT}country>/<{OT}iso3166Code> ?country }} }}""")
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
        vals = " ".join(f"<{x}>" for x in iris)
        rows = self.select(f"""SELECT DISTINCT ?a ?b WHERE {{ VALUES ?a {{ {vals} }} VALUES ?b {{ {vals} }}
          ?a (<{OT}town>|<{OT}region>|<{OT}country>|<{OT}locatedIn>|<{OT}partOfSite>)+ ?b . FILTER(?a != ?b) }}""")
        return {(r["a"], r["b"]) for r in rows}

    def chain_sites(self) -> list[str]:
        """Every site in the graph."""
        return [r["x"] for r in self.select(f"SELECT DISTINCT ?x WHERE {{ ?x a <{OT}Site> }}")]

    def actor_network(self) -> list[dict]:
        """Ownership, control and trade links between actors (and the sites they own or run)."""
        rels = ["owns", "ownedBy", "operates", "operatedBy", "subsidiaryOf", "partOfGroup", "memberOf"]
        vals = " ".join(f"<{OT}{r}>" for r in rels)
        rows = self.select(f"""SELECT DISTINCT ?a ?rel ?b WHERE {{
          {{ VALUES ?rel {{ {vals} }} GRAPH ?g {{ ?a ?rel ?b }} FILTER(?g != <{self.iris.inferred_graph}>) }}
          UNION {{ ?f a <{OT}Flow> ; <{OT}seller> ?a ; <{OT}buyer> ?b . BIND(<{OT}seller> AS ?rel) }}
        }}""")
        return rows

    def types_of(self, iris) -> dict[str, list[str]]:
        iris = [i for i in set(iris) if is_iri(i) and ">" not in i]
        if not iris:
            return {}
        vals = " ".join(f"<{x}>" for x in iris)
        out: dict[str, list[str]] = {}
        for r in self.select(f"SELECT ?x ?t WHERE {{ VALUES ?x {{ {vals} }} ?x a ?t }}"):
            out.setdefault(r["x"], []).append(r["t"])
        return out

    # ---------------------------------------------------------- findings
    def validation_results(self) -> list[dict]:
        vg, pg = self.iris.validation_graph, self.iris.provenance_graph
        return self.select(f"""SELECT ?r ?shape ?component ?severity ?focus ?path ?value ?message ?st WHERE {{
          GRAPH <{vg}> {{ ?r a <{SH}ValidationResult> ; <{SH}focusNode> ?focus .
            OPTIONAL {{ ?r <{SH}sourceShape> ?shape }} OPTIONAL {{ ?r <{SH}sourceConstraintComponent> ?component }}
            OPTIONAL {{ ?r <{SH}resultSeverity> ?severity }} OPTIONAL {{ ?r <{SH}resultPath> ?path }}
            OPTIONAL {{ ?r <{SH}value> ?value }} OPTIONAL {{ ?r <{SH}resultMessage> ?message }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?st <{OT}about> ?focus }} }}
        }}""")

    def shape_info(self) -> dict[str, dict]:
        """Labels and descriptions of the shapes that produced validation results."""
        rows = self.select(f"""SELECT ?shape ?name ?desc WHERE {{ ?shape a ?k .
          VALUES ?k {{ <{SH}NodeShape> <{SH}PropertyShape> }}
          OPTIONAL {{ ?shape <{RDFS}label>|<{SH}name> ?name }} OPTIONAL {{ ?shape <{RDFS}comment>|<{SH}description> ?desc }} }}""")
        out: dict[str, dict] = {}
        for r in rows:
            out.setdefault(r["shape"], {"name": r["name"], "desc": r["desc"]})
        return out

    def royalty_gaps(self) -> list[dict]:
        """Exports of mined indium-bearing material whose royalty is not declared, or not stated at all."""
        return self.select(f"""SELECT ?f ?status ?law ?year WHERE {{
          ?f a <{OT}IndiumBearingMineralExport> .
          OPTIONAL {{ ?f <{OT}royaltyStatus> ?status }} OPTIONAL {{ ?f <{OT}royaltyLaw> ?law }} OPTIONAL {{ ?f <{OT}year> ?year }}
          FILTER(!BOUND(?status) || ?status = <{OT}RoyaltyNotDeclared>)
        }} ORDER BY ?f""")

    def mass_balance(self) -> list[dict]:
        """Flows whose parts add up to more tonnes than the flow itself."""
        rows = self.select(f"""SELECT ?whole ?wv ?wu (SUM(?pv) AS ?parts) (COUNT(?part) AS ?n) WHERE {{
          ?wq <{OT}subject> ?whole ; <{OT}measures>/<{SKOS}broader>* <{OT}FlowQuantity> ; <{QUDT}numericValue> ?wv ; <{QUDT}hasUnit> ?wu .
          ?part <{OT}partOfFlow> ?whole .
          ?pq <{OT}subject> ?part ; <{OT}measures>/<{SKOS}broader>* <{OT}FlowQuantity> ; <{QUDT}numericValue> ?pv ; <{QUDT}hasUnit> ?wu .
        }} GROUP BY ?whole ?wv ?wu""")
        return [r for r in rows if isinstance(r["parts"], (int, float)) and isinstance(r["wv"], (int, float))
                and r["parts"] > r["wv"] * 1.0001]

    def disagreements(self) -> list[dict]:
        """Figures for the same subject, measure, material and year that two statements give differently."""
        rows = self.select(f"""SELECT ?a ?b ?cls ?subject ?material ?year ?va ?vb ?unit WHERE {{
          ?a <{OT}subject> ?subject ; <{OT}measures> ?cls ; <{QUDT}numericValue> ?va ; <{QUDT}hasUnit> ?unit .
          ?b <{OT}subject> ?subject ; <{OT}measures> ?cls ; <{QUDT}numericValue> ?vb ; <{QUDT}hasUnit> ?unit .
          FILTER(STR(?a) < STR(?b) && ?va != ?vb)
          FILTER NOT EXISTS {{ ?a ?key ?x . ?key <{OT}figureKey> true . FILTER NOT EXISTS {{ ?b ?key ?x }} }}
          FILTER NOT EXISTS {{ ?b ?key ?x . ?key <{OT}figureKey> true . FILTER NOT EXISTS {{ ?a ?key ?x }} }}
          OPTIONAL {{ ?a <{OT}material> ?material }} OPTIONAL {{ ?a <{OT}year> ?year }}
        }} ORDER BY ?subject ?year""")
        return rows

    # ---------------------------------------------------------- sources
    def sources(self) -> list[dict]:
        """Every source with its kind, year, publisher, the statements taken from it and those citing it."""
        pg = self.iris.provenance_graph
        return self.select(f"""SELECT ?s (SAMPLE(?t0) AS ?title) (SAMPLE(?ty0) AS ?type) (SAMPLE(?y0) AS ?year)
             (SAMPLE(?pub0) AS ?publisher) (SAMPLE(?ca0) AS ?cited_as) (COUNT(DISTINCT ?g) AS ?statements)
             (COUNT(DISTINCT ?g2) AS ?citing) WHERE {{
          ?s a <{OT}Source> . FILTER(STRSTARTS(STR(?s), "{self.iris.base}/id/source/"))
          OPTIONAL {{ GRAPH <{pg}> {{ ?s a ?ty0 . FILTER(?ty0 != <{OT}Source>) }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?s <{DCTERMS}title> ?t0 }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?s <{DCTERMS}issued>|<{OT}issuedNotBefore> ?y0 }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?s <{DCTERMS}publisher> ?pub0 }} }} OPTIONAL {{ GRAPH <{pg}> {{ ?s <{OT}citedAs> ?ca0 }} }}
          OPTIONAL {{ GRAPH <{pg}> {{ ?g <{PROV}wasDerivedFrom> ?s }} }} OPTIONAL {{ GRAPH <{pg}> {{ ?g2 <{OT}citesSource> ?s }} }}
        }} GROUP BY ?s ORDER BY DESC(?statements) DESC(?citing) ?s""")

    def statements(self, source: str | None = None, curator: str | None = None, confidence: str | None = None) -> list[dict]:
        pg = self.iris.provenance_graph
        conds = []
        if source:  # statements taken from the source, or citing it
            conds.append(f"FILTER(?doc = <{source}> || EXISTS {{ GRAPH <{pg}> {{ ?g <{OT}citesSource> <{source}> }} }})")
        if curator:
            conds.append(f"FILTER(?curator = <{curator}>)")
        if confidence:
            conds.append(f"FILTER(?conf = <{confidence}>)")
        return self.select(f"""SELECT ?g ?sid ?doc ?loc ?conf ?curator ?para ?created ?file ?line
             (GROUP_CONCAT(DISTINCT STR(?cited); separator=" ") AS ?cites) WHERE {{
          GRAPH <{pg}> {{ ?g a <{OT}Statement> ; <{OT}citation> ?c . ?c <{OT}document> ?doc ; <{OT}locatorText> ?loc .
            OPTIONAL {{ ?g <{DCTERMS}identifier> ?sid }} OPTIONAL {{ ?g <{OT}confidence> ?conf }}
            OPTIONAL {{ ?g <{PROV}wasAttributedTo> ?curator }} OPTIONAL {{ ?g <{OT}paraphrase> ?para }}
            OPTIONAL {{ ?g <{DCTERMS}created> ?created }} OPTIONAL {{ ?g <{OT}curatedFile> ?file }}
            OPTIONAL {{ ?g <{OT}curatedLine> ?line }} OPTIONAL {{ ?g <{OT}citesSource> ?cited }} }}
          {' '.join(conds)}
        }} GROUP BY ?g ?sid ?doc ?loc ?conf ?curator ?para ?created ?file ?line ORDER BY ?file ?line ?sid""")

    def statement_triples(self, graphs: list[str]) -> dict[str, list[dict]]:
        """What each statement graph asserts, as (s, p, o) rows."""
        out: dict[str, list[dict]] = {}
        for i in range(0, len(graphs), 300):
            vals = " ".join(f"<{g}>" for g in graphs[i:i + 300] if ">" not in g)
            for r in self.select(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {vals} }} GRAPH ?g {{ ?s ?p ?o }} }}"):
                out.setdefault(r["g"], []).append(r)
        return out

    def curators(self) -> list[str]:
        return [r["c"] for r in self.select(
            f"SELECT DISTINCT ?c WHERE {{ GRAPH <{self.iris.provenance_graph}> {{ ?g a <{OT}Statement> ; "
            f"<{PROV}wasAttributedTo> ?c }} }} ORDER BY ?c")]


def connect(settings: Settings, endpoint: str | None = None) -> Graph:
    """The graph the app shows: the last build's store, or the given SPARQL endpoint."""
    return Graph(settings, endpoint)
