"""MinMod mineral-site records (DARPA CriticalMAAS): sites with their location, commodity grades and references.

Input: a JSON file holding an array of MinMod `MineralSite` records, or a folder of such files.
Each record becomes one statement about a site: its name, country (MinMod's country entity,
mapped to ISO 3166 through MinMod's own country table when it is found beside the data, else
the observed name through countries.py), its WGS 84 point, and one content observation per
graded commodity that is a chemical element in the ontology: a `ContentObservation` measuring
`ElementConcentration` of the element (`ot:element`) at the site, in percent or ppm, in the year
of the record's date or, without one, marked `ot:undatedReason ot:NoPeriodInSource`. A grade
given as an oxide (WO3, SnO2, Ta2O5, Nb2O5) is the content of that oxide: its observation names
the oxide as `ot:material` (`material/oxide-<formula>`, which contains the element), never as
the element, since the two figures differ.

Where a curated site in the current build is the same place (same country, and one of the
record's names equals the site's label or alternative label once words like "mine" are set
aside), the record's facts are attached to the curated site instead of a new one; a name that
matches two curated sites links neither and is reported.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

from ..units import UNITS
from ..vocab import DCTERMS, OT, SKOS
from . import countries, nt
from .common import A, LABEL, DatasetInfo, ImportFailure, emit_place, figure, figure_label, slugify
from .reading import CONTROL, JsonRecords, check_path

ELEMENTS = {"Sn": "Tin", "W": "Tungsten", "Zn": "Zinc", "In": "Indium", "Cu": "Copper", "Ag": "Silver", "Pb": "Lead",
            "Au": "Gold", "Ta": "Tantalum", "Nb": "Niobium", "Co": "Cobalt", "Ga": "Gallium", "Ge": "Germanium"}
OXIDES = {"WO3": "W", "SnO2": "Sn", "Ta2O5": "Ta", "Nb2O5": "Nb"}
GENERIC = {"mine", "mines", "deposit", "deposits", "cooperative", "workings", "the", "project", "district"}
GRADE_UNITS = {"percent": "percent", "grams/metric ton": "ppm", "g/t": "ppm", "ppm": "ppm"}


def _files(path: Path) -> list[Path]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise ImportFailure([f"{path}: no *.json files of MinMod records in this folder"])
    return files


def dataset(ctx) -> DatasetInfo:
    label = ctx.path.name if ctx.path.is_dir() else f"{ctx.path.parent.name}/{ctx.path.name}"
    return DatasetInfo(f"import-{ctx.name}", f"MinMod mineral-site records: {label}", "Dataset",
                       creators=["DARPA CriticalMAAS TA2 (MinMod)"],
                       url="https://github.com/DARPA-CRITICALMAAS/ta2-minmod-data",
                       description="Mineral-site records of the MinMod knowledge graph, each from a published "
                                   "deposit database that the record names as its reference.")


def _country_table(path: Path) -> dict[str, str]:
    """MinMod country entity IRI -> ISO 3166-1 alpha-2, from data/entities/country.csv near the input."""
    for p in [path, *path.parents]:
        f = p / "data" / "entities" / "country.csv"
        if f.is_file():
            try:
                with open(f, encoding="utf-8", newline="") as fh:
                    return {f"https://minmod.isi.edu/resource/{r['minmod_id']}": r["iso2"]
                            for r in csv.DictReader(fh) if r.get("iso2")}
            except (OSError, UnicodeDecodeError, csv.Error, KeyError):
                return {}  # not MinMod's table: countries are resolved by name (run() notes it)
    return {}


def _norm(name: str) -> str:
    t = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", t) if w and w not in GENERIC]
    return " ".join(words)


def _variants(name: str) -> set[str]:
    parts = [name] + [p for p in re.split(r"[;,]", name)]
    return {v for v in (_norm(p) for p in parts) if v}


def curated_sites(settings) -> list[tuple[str, set[str], set[str]]]:
    """(site IRI, name variants, ISO codes of its countries) of every curated site in the current build."""
    from .. import query, store

    try:
        st = store.open_store(settings)
    except store.NoBuildError:
        return []
    q = query.with_prefixes(f"""
        SELECT ?site ?name ?country WHERE {{
          GRAPH ?g {{ ?site a ?cls }} ?cls rdfs:subClassOf* ot:Site .
          FILTER(!STRSTARTS(STR(?g), "{settings.base}/id/statement/import/"))
          {{ ?site rdfs:label ?name }} UNION {{ ?site skos:altLabel ?name }}
          OPTIONAL {{ ?site ot:country/ot:iso3166Code ?country }} }}""")
    sites: dict[str, tuple[set, set]] = {}
    for site, name, country in query.run_store(st, q).rows:
        names, cs = sites.setdefault(site.value, (set(), set()))
        names |= _variants(name.value)
        if country is not None:
            cs.add(country.value)
    return [(k, v[0], v[1]) for k, v in sorted(sites.items())]


def run(ctx) -> None:
    em, iris = ctx.emitter, ctx.iris
    table = _country_table(ctx.path.resolve())
    if not table:
        ctx.notes.append("MinMod's country table (data/entities/country.csv) was not found: countries resolved by name")
    curated = curated_sites(ctx.settings)
    if not curated:
        ctx.notes.append("no curated build found: records were not linked to curated sites (run oretrace build first)")
    P = {k: nt.iri(v) for k, v in {
        "site": OT + "Site", "country": OT + "country", "lat": OT + "latitude", "lon": OT + "longitude",
        "alt": SKOS + "altLabel", "id": DCTERMS + "identifier"}.items()}
    linked: dict[str, list[str]] = {}
    skipped: dict[str, int] = {}
    prog = ctx.progress(f"import {ctx.name}")
    for fpath in _files(ctx.path):
        check_path(fpath)
        reader = JsonRecords(fpath, ctx.options)
        for i, (line, r) in enumerate(reader.records(), 1):
            where = f"record {i}"
            try:
                rec = _record(r, table)
            except (ValueError, countries.UnknownPlace) as e:
                label = r.get("name") if isinstance(r, dict) and isinstance(r.get("name"), str) else None
                ctx.bad(line, f"{where}{f' ({label[:80]})' if label else ''}: {e}", fpath.name)
                continue
            name, rid, place = rec["name"], rec["id"], rec["place"]
            for reason in rec["skipped"]:
                skipped[reason] = skipped.get(reason, 0) + 1
            names = _variants(name)
            hits = [s for s, sn, sc in curated if names & sn and (not sc or (place and place.code in sc))]
            if len(hits) > 1:
                ctx.notes.append(f"{fpath.name} {where} ({name}) matches several curated sites ({', '.join(hits)}): not linked")
                hits = []
            if hits:
                site = nt.iri(hits[0])
                linked.setdefault(hits[0], []).append(name)
            else:
                src_slug = slugify(rec["source"].rsplit("/", 1)[-1] or "minmod")
                site = nt.iri(iris.entity("site", f"minmod-{src_slug}-{slugify(rid)}"))
            t = []
            if not hits:
                t += [(site, A, P["site"]), (site, LABEL, nt.lit(name, "en"))]
            else:
                t.append((site, P["alt"], nt.lit(name, "en")))
            t.append((site, P["id"], nt.lit(f"MinMod record {rid} of {rec['source']}".strip())))
            if place:
                t.append((site, P["country"], emit_place(em, place)))
            if rec["point"]:
                lon, lat = rec["point"]
                t += [(site, P["lat"], nt.decimal(lat)), (site, P["lon"], nt.decimal(lon))]
            about, cites = [site], []
            for k, g in enumerate(rec["grades"], 1):
                if g["doc"]:
                    uri, title = g["doc"]
                    cites.append(em.describe_source(f"doc-{slugify(uri.split('doi.org/')[-1])}", "Dataset",
                                                    title or uri, url=uri))
                if g["element"] is None:
                    continue
                sym, v, gunit = g["element"], g["value"], g["unit"]
                obs = nt.iri(iris.entity("observation", f"{ctx.name}-{slugify(fpath.stem)}-{i}-{k}"))
                if g["oxide"]:  # the content of the oxide the record names, not of the element
                    what, material, element = g["oxide"], _oxide(em, g["oxide"], sym), None
                else:
                    what, material, element = ELEMENTS[sym].lower(), None, nt.iri(OT + ELEMENTS[sym])
                t += figure(obs, "ContentObservation", "ElementConcentration", site, v, nt.iri(UNITS[gunit].iri),
                            figure_label(name, what, "concentration", g["year"]), year=g["year"],
                            material=material, element=element)
                about.append(obs)
            em.statement(f"{slugify(fpath.stem)}/{i}", t, about, {"item": f"{fpath.name}, record {i} ({rid})"},
                         cites=list(dict.fromkeys(cites)), file=fpath.name, line=line)
            ctx.rows += 1
            prog.update(ctx.rows)
        ctx.warnings.extend(reader.warnings)
    for reason, n in sorted(skipped.items()):
        ctx.notes.append(f"{n} grade(s) not imported: {reason}")
    for site, names in sorted(linked.items()):
        ctx.notes.append(f"linked to curated {site.rsplit('/id/', 1)[-1]}: {', '.join(sorted(set(names)))}")
    ctx.linked = linked


_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_POINT = re.compile(r"\s*POINT\s*\(\s*(-?[0-9]+(?:\.[0-9]+)?)\s+(-?[0-9]+(?:\.[0-9]+)?)\s*\)\s*")
MAX_TEXT = 500


def _oxide(em, formula: str, sym: str) -> str:
    """The material `material/oxide-<formula>` a grade is given as, described once per import."""
    term = nt.iri(em.iris.entity("material", f"oxide-{formula.lower()}"))
    em.reference(f"oxide-{formula}", [
        (term, A, nt.iri(OT + "Material")), (term, LABEL, nt.lit(formula, "en")),
        (term, nt.iri(OT + "containsElement"), nt.iri(OT + ELEMENTS[sym])),
        (term, nt.iri(DCTERMS + "description"), nt.lit(
            f"The oxide {formula}, in which MinMod records give some grades: such a grade is the content of the "
            "oxide in the deposit, not of the element.", "en"))], [term], em.ds, {"item": formula})
    return term


def _get(obj, key: str, types, what: str, required: bool = False):
    """obj[key] checked to be of `types` (None when absent and not required); ValueError otherwise."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what} is not a JSON object")
    v = obj.get(key)
    if v is None:
        if required:
            raise ValueError(f"missing field {key!r} (a MinMod MineralSite needs name, record_id, location_info)")
        return None
    if not isinstance(v, types) or isinstance(v, bool):
        names = {str: "a string", list: "an array", dict: "an object", int: "a number", float: "a number"}
        want = " or ".join(dict.fromkeys(names[t] for t in (types if isinstance(types, tuple) else (types,))))
        raise ValueError(f"{what}: field {key!r} is not {want}")
    if isinstance(v, str) and (len(v) > MAX_TEXT or CONTROL.search(v)):
        raise ValueError(f"{what}: field {key!r} is longer than {MAX_TEXT} characters or holds control characters")
    return v


def _record(r, table: dict[str, str]) -> dict:
    """A MinMod record checked field by field; raises ValueError (or UnknownPlace) saying what is wrong."""
    name = _get(r, "name", str, "the record", True).strip()
    if not name:
        raise ValueError("the field 'name' is empty")
    rid = _get(r, "record_id", (str, int), "the record", True)
    rid = str(rid).strip()
    if not rid:
        raise ValueError("the field 'record_id' is empty")
    source = (_get(r, "source_id", str, "the record") or "").strip()
    loc = _get(r, "location_info", dict, "the record") or {}
    iso = None
    for c in _get(loc, "country", list, "location_info") or []:
        uri = _get(c, "normalized_uri", str, "a country of location_info")
        observed = _get(c, "observed_name", str, "a country of location_info")
        iso = table.get(uri or "") or iso
        if iso is None and observed:
            iso = countries.resolve(observed).code
    place = countries.resolve(iso) if iso else None
    point, skipped = None, []
    wkt = _get(loc, "location", str, "location_info")
    if wkt:
        m = _POINT.fullmatch(wkt)
        if not m:
            skipped.append("location not a WKT POINT (the site is imported without it)")
        else:
            lon, lat = Decimal(m.group(1)), Decimal(m.group(2))
            if abs(lat) > 90 or abs(lon) > 180:
                raise ValueError(f"location {wkt!r} is outside WGS 84 (longitude -180..180, latitude -90..90; "
                                 "is it POINT(longitude latitude)?)")
            point = (lon, lat)
    grades = []
    for k, inv in enumerate(_get(r, "mineral_inventory", list, "the record") or [], 1):
        what = f"mineral_inventory item {k}"
        ref = _get(inv, "reference", dict, what) or {}
        doc = _get(ref, "document", dict, f"{what}, reference") or {}
        uri = _get(doc, "uri", str, f"{what}, reference document")
        if uri is not None and not _URL.fullmatch(uri):
            raise ValueError(f"{what}: reference uri {uri[:80]!r} is not an http(s) URL")
        title = _get(doc, "title", str, f"{what}, reference document")
        com = (_get(_get(inv, "commodity", dict, what) or {}, "observed_name", str, f"{what}, commodity") or "").strip()
        grade = _get(inv, "grade", dict, what) or {}
        value = _get(grade, "value", (int, float), f"{what}, grade")
        gunit_name = (_get(_get(grade, "unit", dict, f"{what}, grade") or {}, "observed_name", str,
                           f"{what}, grade unit") or "").strip()
        date = _get(inv, "date", (str, int), what)
        g = {"doc": (uri, title) if uri else None, "element": None}
        grades.append(g)
        sym = re.sub(r"^(%|g/t\s*)", "", com).strip()
        oxide = sym if sym in OXIDES else None
        sym = OXIDES.get(sym, sym)
        gunit = GRADE_UNITS.get(gunit_name)
        if com.startswith("%"):
            gunit = "percent"
        elif com.startswith("g/t"):
            gunit = "ppm"
        if sym not in ELEMENTS or value is None:
            continue
        if gunit is None:
            skipped.append(f"grade unit {gunit_name[:40]!r} not read")
            continue
        v = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        top = 100 if gunit == "percent" else 1_000_000
        if not 0 <= v <= top:
            raise ValueError(f"{what}: grade {value} {gunit} of {sym} is outside 0..{top:,} {gunit}")
        year = None
        if date is not None and re.fullmatch(r"[0-9]{4}", str(date)):
            year = int(str(date))
        g.update(element=sym, value=v, unit=gunit, oxide=oxide, year=year)
    return {"name": name, "id": rid, "source": source, "place": place, "point": point, "grades": grades,
            "skipped": skipped}
