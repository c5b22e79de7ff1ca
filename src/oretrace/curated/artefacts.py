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

BEGIN, END = "<!-- format:begin (generated from src/oretrace/curated/format.py; do not edit) -->", "<!-- format:end -->"


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
    for name, schema in fmt.json_schemas(property_schemas(onto)).items():
        out[settings.data_dir / "schema" / name] = json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    readme = settings.data_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        out[readme] = head + BEGIN + "\n\n" + fmt.markdown_tables() + "\n" + END + tail
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
