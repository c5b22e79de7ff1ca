"""MinMod mineral-site records (DARPA CriticalMAAS): sites with their location, commodity grades and references.

Input: a JSON file holding an array of MinMod `MineralSite` records, or a folder of such files.
Each record becomes one statement about a site: its name, country (MinMod's country entity,
mapped to ISO 3166 through MinMod's own country table when it is found beside the data, else
the observed name through countries.py), its WGS 84 point, and one content observation per
graded commodity that is a chemical element in the ontology (oxides such as WO3 and SnO2 are
kept as the element, with the oxide named in `ot:measure`).

Where a curated site in the current build is the same place (same country, and one of the
record's names equals the site's label or alternative label once words like "mine" are set
aside), the record's facts are attached to the curated site instead of a new one; a name that
matches two curated sites links neither and is reported.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path

from ..units import UNITS
from ..vocab import DCTERMS, OT, QUDT, RDFS, SKOS
from . import countries, nt
from .common import A, LABEL, DatasetInfo, ImportFailure, emit_place, slugify

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
            with open(f, encoding="utf-8", newline="") as fh:
                return {f"https://minmod.isi.edu/resource/{r['minmod_id']}": r["iso2"] for r in csv.DictReader(fh) if r.get("iso2")}
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
        "alt": SKOS + "altLabel", "id": DCTERMS + "identifier", "see": RDFS + "seeAlso", "content": OT + "ContentObservation",
        "subject": OT + "subject", "element": OT + "element", "num": QUDT + "numericValue", "unit": QUDT + "hasUnit",
        "measure": OT + "measure", "year": OT + "year", "desc": DCTERMS + "description"}.items()}
    linked: dict[str, list[str]] = {}
    prog = ctx.progress(f"import {ctx.name}")
    for fpath in _files(ctx.path):
        try:
            records = json.loads(fpath.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            ctx.bad(getattr(e, "lineno", 1), f"not readable JSON ({e}); the file may be truncated", fpath.name)
            continue
        if not isinstance(records, list):
            ctx.bad(1, "expected a JSON array of MinMod MineralSite records", fpath.name)
            continue
        for i, r in enumerate(records, 1):
            where = f"record {i}"
            try:
                name, rid = r["name"].strip(), str(r["record_id"])
                loc = r.get("location_info") or {}
                iso = None
                for c in loc.get("country") or []:
                    iso = table.get(c.get("normalized_uri", "")) or iso
                    if iso is None and c.get("observed_name"):
                        iso = countries.resolve(c["observed_name"]).code
                place = countries.resolve(iso) if iso else None
            except (KeyError, AttributeError, TypeError) as e:
                ctx.bad(i, f"{where}: missing field {e} (a MinMod MineralSite needs name, record_id, location_info)", fpath.name)
                continue
            except countries.UnknownPlace as e:
                ctx.bad(i, f"{where} ({r.get('name')}): {e}", fpath.name)
                continue
            names = _variants(name)
            hits = [s for s, sn, sc in curated if names & sn and (not sc or (place and place.code in sc))]
            if len(hits) > 1:
                ctx.notes.append(f"{fpath.name} {where} ({name}) matches several curated sites ({', '.join(hits)}): not linked")
                hits = []
            if hits:
                site = nt.iri(hits[0])
                linked.setdefault(hits[0], []).append(name)
            else:
                src_slug = slugify(str(r.get("source_id", "minmod")).rsplit("/", 1)[-1])
                site = nt.iri(iris.entity("site", f"minmod-{src_slug}-{slugify(rid)}"))
            t = []
            if not hits:
                t += [(site, A, P["site"]), (site, LABEL, nt.lit(name, "en"))]
            else:
                t.append((site, P["alt"], nt.lit(name, "en")))
            t.append((site, P["id"], nt.lit(f"MinMod record {rid} of {r.get('source_id', '')}".strip())))
            if place:
                t.append((site, P["country"], emit_place(em, place)))
            m = re.match(r"\s*POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", loc.get("location") or "")
            if m:
                lon, lat = nt.to_decimal(m.group(1)), nt.to_decimal(m.group(2))
                if lon is not None and lat is not None and abs(lat) <= 90 and abs(lon) <= 180:
                    t += [(site, P["lat"], nt.decimal(lat)), (site, P["lon"], nt.decimal(lon))]
            about, cites = [site], []
            for k, inv in enumerate(r.get("mineral_inventory") or [], 1):
                doc = ((inv.get("reference") or {}).get("document") or {})
                if doc.get("uri"):
                    cites.append(em.describe_source(f"doc-{slugify(doc['uri'].split('doi.org/')[-1])}", "Dataset",
                                                    doc.get("title") or doc["uri"], url=doc["uri"]))
                com = ((inv.get("commodity") or {}).get("observed_name") or "").strip()
                sym = re.sub(r"^(%|g/t\s*)", "", com).strip()
                oxide = sym if sym in OXIDES else None
                sym = OXIDES.get(sym, sym)
                grade = inv.get("grade") or {}
                gunit = GRADE_UNITS.get(((grade.get("unit") or {}).get("observed_name") or "").strip())
                if com.startswith("%"):
                    gunit = "percent"
                elif com.startswith("g/t"):
                    gunit = "ppm"
                if sym not in ELEMENTS or grade.get("value") is None or gunit is None:
                    continue
                v = nt.to_decimal(str(grade["value"]))
                if v is None or v < 0 or (gunit == "percent" and v > 100):
                    continue
                obs = nt.iri(iris.entity("observation", f"{ctx.name}-{slugify(fpath.stem)}-{i}-{k}"))
                t += [(obs, A, P["content"]),
                      (obs, LABEL, nt.lit(f"{ELEMENTS[sym].lower()} grade at {name}", "en")),
                      (obs, P["subject"], site), (obs, P["element"], nt.iri(OT + ELEMENTS[sym])),
                      (obs, P["num"], nt.decimal(v)), (obs, P["unit"], nt.iri(UNITS[gunit].iri))]
                if oxide:
                    t.append((obs, P["measure"], nt.lit(f"grade as {oxide}")))
                date = str(inv.get("date") or "")
                if re.fullmatch(r"\d{4}", date):
                    t.append((obs, P["year"], nt.integer(int(date))))
                about.append(obs)
            em.statement(f"{slugify(fpath.stem)}/{i}", t, about, {"item": f"{fpath.name}, record {i} ({rid})"},
                         cites=list(dict.fromkeys(cites)), file=fpath.name, line=i)
            ctx.rows += 1
            prog.update(ctx.rows)
    for site, names in sorted(linked.items()):
        ctx.notes.append(f"linked to curated {site.rsplit('/id/', 1)[-1]}: {', '.join(sorted(set(names)))}")
    ctx.linked = linked
