"""What the project already knows: entities and sources from the curated files, countries
(pycountry, with countryinfo's other spellings and demonyms), regions, chemical elements.

The curated YAML is read directly (not checked), so extraction works while a file is being
edited; `hide` leaves out what one source file says (its cited sources, statements and the
entities it declares), to extract a document as if it had never been curated.
"""

from __future__ import annotations

import glob
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..config import Settings

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Entity:
    ref: str
    kind: str
    classes: list[str] = field(default_factory=list)
    label: str = ""
    alt_labels: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # country refs it lies in or belongs to
    town: str | None = None
    file: str = ""
    values: dict = field(default_factory=dict)  # the curated fields (origin, destination, year, ...)


@dataclass
class KnownSource:
    id: str
    cls: str = "Report"
    title: str = ""
    cited_as: str = ""
    creators: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    year: int | None = None
    year_not_before: int | None = None
    url: str = ""
    described_by: str | None = None
    file: str = ""


@dataclass
class Registry:
    entities: dict[str, Entity] = field(default_factory=dict)
    sources: dict[str, KnownSource] = field(default_factory=dict)
    statement_ids: set[str] = field(default_factory=set)
    figures: list[dict] = field(default_factory=list)  # existing figure nodes, for duplicates
    elements: dict[str, str] = field(default_factory=dict)  # lower-case name or symbol -> individual
    individuals: dict[str, str] = field(default_factory=dict)  # local name -> label
    classes: set[str] = field(default_factory=set)  # ontology class local names
    properties: set[str] = field(default_factory=set)  # curated keys (snake_case) of ontology properties
    measures: dict[str, dict] = field(default_factory=dict)  # measure code -> {class, label} when the ontology has them
    hidden: str | None = None

    def label(self, ref: str) -> str:
        if ref in self.entities and self.entities[ref].label:
            return self.entities[ref].label
        if ref.startswith("country/"):
            return country_name(ref.split("/", 1)[1])
        if ref.startswith("region/"):
            return region_name(ref.split("/", 1)[1])
        if ref in self.individuals:
            return self.individuals[ref]
        return ref.split("/")[-1].replace("-", " ")

    def countries_of(self, ref: str, depth: int = 0) -> set[str]:
        """The countries a place, site, region or actor lies in, as the curated files say."""
        if ref.startswith("country/"):
            return {ref}
        if ref.startswith("region/"):
            return {"country/" + ref.split("/", 1)[1].split("-")[0]}
        e = self.entities.get(ref)
        if e is None or depth > 3:
            return set()
        out = set(e.countries)
        if not out and e.town:
            out = self.countries_of(e.town, depth + 1)
        if not out:
            for key in ("located_in", "part_of_site"):
                for v in _as_list(e.values.get(key)):
                    out |= self.countries_of(str(v), depth + 1)
        return out


def _as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def load(settings: Settings, hide: str | None = None) -> Registry:
    reg = Registry(hidden=hide)
    data = settings.data_dir
    _load_ontology(settings, reg)
    hidden_file = (data / "sources" / f"{hide}.yaml").resolve() if hide else None
    for path in sorted((data / "sources").glob("*.yaml")) + sorted((data / "entities").glob("*.yaml")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue  # `oretrace check` reports broken files; extraction reads what it can
        if not isinstance(doc, dict):
            continue
        rel = str(path.relative_to(settings.root)) if path.is_relative_to(settings.root) else str(path)
        hidden = hidden_file is not None and path.resolve() == hidden_file
        head = doc.get("source")
        if isinstance(head, dict):
            _add_source(reg, head, None, rel)
            if not hidden:
                for c in doc.get("cited_sources") or []:
                    if isinstance(c, dict):
                        _add_source(reg, c, head.get("id"), rel)
        if hidden:
            continue
        for st in doc.get("statements") or []:
            if not isinstance(st, dict):
                continue
            if isinstance(st.get("id"), str):
                reg.statement_ids.add(st["id"])
            for n in st.get("assert") or []:
                if isinstance(n, dict):
                    _add_node(reg, n, rel, st)
        for n in doc.get("entities") or []:
            if isinstance(n, dict):
                if isinstance(n.get("id"), str):
                    reg.statement_ids.add("entity/" + n["id"])
                _add_node(reg, n, rel, n)
    return reg


def _add_source(reg: Registry, m: dict, described_by, rel: str):
    sid = m.get("id")
    if not isinstance(sid, str):
        return
    reg.sources[sid] = KnownSource(
        id=sid, cls=str(m.get("a") or "Source"), title=" ".join(str(m.get("title") or "").split()),
        cited_as=" ".join(str(m.get("cited_as") or "").split()),
        creators=[str(c) for c in _as_list(m.get("creator"))],
        publishers=[str(p) for p in _as_list(m.get("publisher"))],
        year=m.get("year") if isinstance(m.get("year"), int) else None,
        year_not_before=m.get("year_not_before") if isinstance(m.get("year_not_before"), int) else None,
        url=str(m.get("url") or ""), described_by=described_by, file=rel)
    reg.entities.setdefault(f"source/{sid}", Entity(f"source/{sid}", "source", label=reg.sources[sid].title, file=rel))


def _add_node(reg: Registry, n: dict, rel: str, st: dict):
    ref = n.get("id") or n.get("about")
    if not isinstance(ref, str) or "/" not in ref:
        return
    kind = ref.split("/", 1)[0]
    e = reg.entities.get(ref)
    if e is None:
        if "id" not in n and kind not in ("country", "region"):
            return  # facts about an entity declared in a hidden file
        e = Entity(ref, kind, file=rel)
        reg.entities[ref] = e
    for c in _as_list(n.get("a")):
        if str(c) not in e.classes:
            e.classes.append(str(c))
    if isinstance(n.get("label"), str) and not e.label:
        e.label = " ".join(n["label"].split())
    for a in _as_list(n.get("alt_label")):
        if isinstance(a, str) and a not in e.alt_labels:
            e.alt_labels.append(" ".join(a.split()))
    for c in _as_list(n.get("country")):
        if isinstance(c, str) and c not in e.countries:
            e.countries.append(c)
    if isinstance(n.get("town"), str):
        e.town = n["town"]
    for k, v in n.items():
        if k not in ("id", "about", "a", "label", "alt_label", "description", "country", "town"):
            e.values.setdefault(k, v)
    if "quantity" in n:
        reg.figures.append({"ref": ref, "node": n, "statement": st.get("id")})


_STMT_END = re.compile(r'(?<=[\s">\w)])\.\s*(?:\n|$)')
_SUBJECT = re.compile(r"^\s*ot:([A-Za-z][\w-]*)\s+a\s+([^;]+)")
_LABEL = re.compile(r'rdfs:label\s+"([^"]*)"@en')
_PREF = re.compile(r'skos:prefLabel\s+"([^"]*)"@en')


def _load_ontology(settings: Settings, reg: Registry):
    """Class and property names, individual labels (chemical elements) and measure codes, read
    from the ontology's Turtle by a light scan of its own `ot:X a ...` statements (the full
    parse is the checker's job; this keeps extraction fast)."""
    for path in sorted(Path(settings.ontology_dir).glob("*.ttl")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = re.sub(r"(?m)^\s*#.*$", "", text)
        for st in _STMT_END.split(text):
            m = _SUBJECT.match(st)
            if not m:
                continue
            local, types = m.group(1), m.group(2)
            tset = {t.strip() for t in types.split(",")}
            label = _LABEL.search(st)
            if "owl:Class" in tset:
                reg.classes.add(local)
            elif tset & {"owl:ObjectProperty", "owl:DatatypeProperty", "owl:TransitiveProperty"}:
                reg.properties.add(re.sub(r"(?<!^)(?=[A-Z])", "_", local).lower())
            elif "skos:Concept" in tset or "skos:ConceptScheme" in tset:
                if re.search(r"skos:inScheme\s+ot:MeasureScheme", st):
                    cls = re.search(r"ot:observationClass\s+ot:(\w+)", st)
                    pref = _PREF.search(st)
                    dims = re.search(r"ot:dimension\s+((?:\"[\w-]+\"\s*,?\s*)+)", st)
                    reg.measures[local] = {"class": cls.group(1) if cls else None,
                                           "label": pref.group(1) if pref else None,
                                           "dimensions": re.findall(r'"([\w-]+)"', dims.group(1)) if dims else None}
                reg.individuals[local] = (_PREF.search(st) or label or m).group(1)
            else:
                reg.individuals[local] = label.group(1) if label else local
                if "ot:ChemicalElement" in tset:
                    reg.elements[(label.group(1) if label else local).lower()] = local


# ------------------------------------------------------------------ countries and regions
def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


_COUNTRIES: dict | None = None


def countries() -> dict:
    """{'names': {folded lower name: code}, 'exact': {case-sensitive short form or demonym: code},
    'label': {code: English short name}}."""
    global _COUNTRIES
    if _COUNTRIES is not None:
        return _COUNTRIES
    import pycountry

    names: dict[str, str] = {}
    exact: dict[str, str] = {}
    label: dict[str, str] = {}
    for c in pycountry.countries:
        code = c.alpha_2
        name = getattr(c, "common_name", None) or c.name
        if ", " in name:  # "Congo, The Democratic Republic of the" -> "the Democratic Republic of the Congo"
            head, _, tail = name.partition(", ")
            name = f"{tail[:1].lower() + tail[1:] if tail.startswith('The ') else tail} {head}"
        label[code] = name
        for attr in ("name", "common_name", "official_name"):
            v = getattr(c, attr, None)
            if v:
                names.setdefault(_fold(v).lower(), code)
                if "," in v:  # "Korea, Republic of" -> "Republic of Korea"
                    head, _, tail = v.partition(",")
                    names.setdefault(_fold(f"{tail.strip()} {head.strip()}").lower(), code)
    try:
        import countryinfo

        base = os.path.join(os.path.dirname(countryinfo.__file__), "data")
        dem_rank: dict[str, tuple] = {}
        for path in sorted(glob.glob(os.path.join(base, "*.json"))):
            try:
                with open(path, encoding="utf-8") as f:
                    info = json.load(f)
            except (OSError, ValueError):
                continue
            code = (info.get("ISO") or {}).get("alpha2")
            if not code or code not in label:
                continue
            alpha3 = (info.get("ISO") or {}).get("alpha3")
            if info.get("name"):
                names.setdefault(_fold(info["name"]).lower(), code)
            for alt in info.get("altSpellings") or []:
                if not isinstance(alt, str) or alt == code:
                    continue
                if len(alt) <= 3 or alt.isupper():
                    if alt != alpha3 or alt in ("USA",):
                        exact.setdefault(alt, code)
                elif re.match(r"^[A-Za-z][A-Za-z .'-]+$", _fold(alt)):
                    names.setdefault(_fold(alt).lower(), code)
            dem = info.get("demonym")
            if isinstance(dem, str) and re.match(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)?$", dem):
                # a demonym shared by a state and its territories goes to the most populous
                rank = (int(info.get("population") or 0),)
                if dem not in dem_rank or rank > dem_rank[dem]:
                    dem_rank[dem] = rank
                    exact[dem] = code
    except ImportError:
        pass
    _COUNTRIES = {"names": names, "exact": exact, "label": label}
    return _COUNTRIES


def country_name(code: str) -> str:
    return countries()["label"].get(code, code)


_REGIONS: dict | None = None
_REGION_NAMES: dict[str, str] = {}


def regions() -> dict[str, list[str]]:
    """folded lower ISO 3166-2 subdivision name -> codes (pycountry's database, read as JSON: the
    same records as pycountry.subdivisions, without building an object for each)."""
    global _REGIONS
    if _REGIONS is None:
        import pycountry

        out: dict[str, list[str]] = {}
        try:
            with open(os.path.join(pycountry.DATABASE_DIR, "iso3166-2.json"), encoding="utf-8") as fh:
                records = json.load(fh)["3166-2"]
            pairs = [(r["name"], r["code"]) for r in records]
        except (OSError, KeyError, ValueError, AttributeError):
            pairs = [(sd.name, sd.code) for sd in pycountry.subdivisions]
        for name, code in pairs:
            key = (name if name.isascii() else _fold(name)).lower()
            out.setdefault(key, []).append(code)
            _REGION_NAMES[code] = name
        _REGIONS = out
    return _REGIONS


def region_name(code: str) -> str:
    regions()
    return _REGION_NAMES.get(code, code)


def fold(s: str) -> str:
    return _fold(s)

