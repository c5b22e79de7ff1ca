"""The curated format is declared once (src/oretrace/curated/format.py): the artefacts made from it are
up to date, the JSON Schemas accept every curated file and refuse what the checker refuses."""

from __future__ import annotations

import json

import jsonschema
import pytest

from oretrace.config import Settings
from oretrace.curated import format as fmt, yamlio
from oretrace.curated.artefacts import artefacts

from conftest import ROOT

SCHEMAS = {"sources": "source-file.schema.json", "entities": "entity-file.schema.json"}


def test_generated_artefacts_are_up_to_date():
    stale = [str(p.relative_to(ROOT)) for p, text in artefacts(Settings(root=ROOT)).items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale: {stale} (run `oretrace format --write`)"


def test_the_readme_tables_list_every_declared_field():
    readme = (ROOT / "data" / "README.md").read_text()
    for record in (fmt.SOURCE_FILE, fmt.STATEMENT, fmt.NODE, fmt.QUANTITY, fmt.LOCATOR, fmt.PROPOSAL):
        for f in record.fields:
            assert f"| `{f.key}` |" in readme, (record.name, f.key)


def _schema(name):
    return json.loads((ROOT / "data" / "schema" / name).read_text())


@pytest.mark.parametrize("folder", sorted(SCHEMAS))
def test_every_curated_file_fits_its_json_schema(folder):
    validator = jsonschema.Draft202012Validator(_schema(SCHEMAS[folder]))
    files = sorted((ROOT / "data" / folder).glob("*.yaml"))
    assert files
    for path in files:
        doc = yamlio.load(path.read_text(encoding="utf-8"))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert not errors, f"{path.name}: {errors[:3]}"


@pytest.mark.parametrize("bad", [
    {"statements": [{"id": "x/y", "at": {"section": "S"}, "says": "t", "assert": [{"about": "actor/a", "yeer": 2018}]}]},
    {"statements": [{"id": "x/y", "at": {"pages": 3}, "says": "t", "assert": [{"about": "actor/a"}]}]},
    {"statements": [{"id": "X Y", "at": {"page": 3}, "says": "t", "assert": [{"about": "actor/a"}]}]},
    {"statements": [{"id": "x/y", "at": {"page": 3}, "says": "t",
                     "assert": [{"id": "observation/o", "a": "X", "quantity": {"value": 1, "unit": "tonnes"}}]}]},
    {"statements": [{"id": "x/y", "at": {"page": 3}, "says": "t",
                     "assert": [{"id": "observation/o", "a": "X", "measures": "NotAMeasure"}]}]},
])
def test_the_json_schema_refuses_what_the_checker_refuses(bad):
    doc = {"source": {"id": "s", "title": "T", "publisher": "actor/p"}, "curator": "curator/c",
           "curated_on": "2026-01-01", **bad}
    validator = jsonschema.Draft202012Validator(_schema("source-file.schema.json"))
    assert list(validator.iter_errors(doc))


def test_forms_follow_the_declaration():
    fields = {f["key"]: f for f in fmt.form(fmt.QUANTITY)}
    assert fields["unit"]["widget"] == "choice" and "t" in fields["unit"]["choices"]
    assert fields["unit"]["required"] and fields["approximate"]["widget"] == "checkbox"
    assert {f["key"] for f in fmt.form(fmt.STATEMENT)} >= {"id", "at", "says", "cites", "confidence", "assert"}


# ------------------------------------------------------------------ the declaration itself (format.yaml)
_DECL = """groups:
  common:
    - {key: id, type: slug, doc: "the id", required: true}
records:
  thing:
    doc: "A thing."
    fields:
      - {include: common}
%s
"""


@pytest.mark.parametrize("extra, says", [
    ('      - {key: size, type: no-such-type, doc: "its size"}', ":9: unknown type 'no-such-type'"),
    ('      - {key: id, type: slug, doc: "again"}', ":7: a key is declared twice: ['id']"),
    ('      - {include: elsewhere}', ":9: no record or group 'elsewhere' is declared"),
    ('      - {include: thing}', ":9: thing contains itself"),
    ('      - {key: size, doc: "its size"}', ":9: a field has key, doc and one of type or record"),
    ('      - {include: common, without: [name]}', ":9: without names keys that common does not have: ['name']"),
    ('      - {key: size, type: number, doc: "its size", requird: true}', ":9: a field has key, doc and one of type"),
])
def test_a_mistake_in_the_declaration_is_named_with_its_line(tmp_path, extra, says):
    from oretrace.curated import format as fmt
    f = tmp_path / "format.yaml"
    f.write_text(_DECL % extra, encoding="utf-8")
    with pytest.raises(fmt.DeclarationError) as e:
        fmt.declare(f)
    assert str(e.value).startswith(f"{f}:") and says in str(e.value)


def test_the_declaration_composes_groups_and_records(tmp_path):
    from oretrace.curated import format as fmt
    f = tmp_path / "format.yaml"
    f.write_text(_DECL % '      - {key: size, type: number, doc: "its size", many: true}\n'
                 '  big-thing:\n    doc: "A big thing."\n    at_least_one: [size]\n    fields:\n'
                 '      - {include: thing, without: [size]}\n      - {key: parts, record: thing, doc: "its parts", many: true}',
                 encoding="utf-8")
    groups, records = fmt.declare(f)
    assert [x.key for x in groups["common"]] == ["id"]
    big = records["big-thing"]
    assert [x.key for x in big.fields] == ["id", "parts"] and big.at_least_one == ("size",)
    assert big.field("parts").type is records["thing"] and big.field("parts").many
    assert big.field("id").type is fmt.TYPES["slug"] and big.field("id").required
