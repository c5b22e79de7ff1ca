"""The artefacts made from the format declaration (format.py) and the ontology: the JSON Schemas in
data/schema/ and the field tables of data/README.md. `write_artefacts` rewrites them (or, without
`write`, lists the stale ones); tests/test_format.py fails when one is stale.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ..config import Settings
from ..ontology import Ontology, load as load_ontology
from ..vocab import OT, XSD
from . import format as fmt

BEGIN, END = "<!-- format:begin (generated from src/oretrace/curated/format.yaml; do not edit) -->", "<!-- format:end -->"


def _type_schema(t) -> dict:
    return {"$ref": f"#/$defs/{t.name}"} if isinstance(t, fmt.Record) else t.schema()


def _record_schema(r: fmt.Record, properties: dict | None) -> dict:
    props = {}
    for f in r.fields:
        one = _type_schema(f.type)
        props[f.key] = {"description": f.doc, **({"oneOf": [one, {"type": "array", "items": one}]} if f.many else one)}
    s = {"type": "object", "description": r.doc, "properties": props,
         "required": [f.key for f in r.fields if f.required]}
    if r.open_properties:  # the ontology's properties, each with the type of its values
        for key, info in sorted((properties or {}).items()):
            props.setdefault(key, info)
    s["additionalProperties"] = False
    if r.at_least_one:
        s["anyOf"] = [{"required": [k]} for k in r.at_least_one]
    return s


def _records(r: fmt.Record, seen: dict) -> None:
    if r.name in seen:
        return
    seen[r.name] = r
    for f in r.fields:
        if isinstance(f.type, fmt.Record):
            _records(f.type, seen)


def json_schemas(properties: dict) -> dict[str, dict]:
    """JSON Schemas (2020-12) of the three kinds of curated file; `properties`: ontology properties
    in snake_case -> schema of their values (from the ontology)."""
    out = {}
    for name, rec in fmt.FILES.items():
        seen: dict[str, fmt.Record] = {}
        _records(rec, seen)
        defs = {n: _record_schema(r, properties) for n, r in seen.items() if r is not rec}
        root = _record_schema(rec, None)
        root.update({"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "$id": f"https://w3id.org/oretrace/schema/{rec.name}.schema.json",
                     "title": f"oretrace {rec.name}", "$defs": {**defs}})
        out[f"{rec.name}.schema.json"] = root
    return out


def markdown_tables() -> str:
    """The field tables of data/README.md."""
    parts = []
    order = [fmt.SOURCE_FILE, fmt.SOURCE, fmt.CITED_SOURCE, fmt.STATEMENT, fmt.NODE, fmt.QUANTITY, fmt.LOCATOR,
             fmt.ENTITY_FILE, fmt.ENTITY, fmt.PROPOSAL_FILE, fmt.PROPOSED_STATEMENT, fmt.PROPOSAL]
    for r in order:
        parts.append(f"### {r.name}\n\n{r.doc}" + (" Any ontology property in snake_case may be added (its type comes "
                                                     "from the ontology)." if r.open_properties else "") + "\n")
        parts.append("| field | type | required | meaning |\n|---|---|---|---|")
        for f in r.fields:
            t = f.type.name if isinstance(f.type, fmt.Record) else f.type.doc
            if isinstance(f.type, fmt.Choice):
                t = " / ".join(f"`{v}`" for v in f.type.values)
            parts.append(f"| `{f.key}` | {t}{' (one or a list)' if f.many else ''} | {'yes' if f.required else ''} | {f.doc} |")
        if r.at_least_one:
            parts.append(f"\nAt least one of {', '.join(f'`{k}`' for k in r.at_least_one)}.")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"



def snake(local: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", local).lower()


def property_schemas(onto: Ontology) -> dict[str, dict]:
    """Each non-deprecated ontology property of the ot: namespace, as a curated key -> schema of its values."""
    out = {}
    individuals = {iri for iri in onto.individuals}
    for p in sorted(onto.object_properties | onto.datatype_properties):
        if not p.startswith(OT) or p in onto.deprecated:
            continue
        local = p[len(OT):]
        doc = onto.labels.get(p, local)
        if p in onto.object_properties:
            scheme = onto.value_schemes.get(p)
            if scheme:
                one = {"enum": sorted(c[len(OT):] for c, ss in onto.schemes.items() if scheme in ss)}
            else:
                one = {"type": "string", "pattern": "^(?:[a-z]+/[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|[A-Z][A-Za-z0-9]*)$",
                       "examples": sorted(i[len(OT):] for i in individuals if i.startswith(OT))[:5]}
        else:
            rng = onto.ranges.get(p, XSD + "string")
            one = {XSD + "integer": {"type": "integer"}, XSD + "decimal": {"type": "number"},
                   XSD + "boolean": {"type": "boolean"}}.get(rng, {"type": "string"})
        out[snake(local)] = {"description": doc, "oneOf": [one, {"type": "array", "items": one}]}
    return out


def artefacts(settings: Settings, onto: Ontology | None = None) -> dict[Path, str]:
    """Path -> the text it must hold."""
    onto = onto or load_ontology(settings.ontology_dir)
    out = {}
    for name, schema in json_schemas(property_schemas(onto)).items():
        out[settings.data_dir / "schema" / name] = json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    readme = settings.data_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        out[readme] = head + BEGIN + "\n\n" + markdown_tables() + "\n" + END + tail
    return out


def write_artefacts(settings: Settings, write: bool = False) -> list[Path]:
    """The artefacts whose file differs from what the declaration gives; written over when `write`."""
    stale = []
    for path, text in artefacts(settings).items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
    return stale
