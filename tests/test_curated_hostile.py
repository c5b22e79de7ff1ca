"""Hostile and malformed curated input: the reader never crashes and never guesses (issue 11).

Every case gives a CurationError naming the file and line, with what is wrong and how to fix it;
none gives a traceback, a hang, runaway memory or a silently changed value. A property-based test
feeds thousands of generated malformed documents through the same path.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from oretrace import curated, ontology
from oretrace.config import Settings
from oretrace.curated import yamlio

HEADER = """\
source:
  id: test-doc
  a: Report
  title: A test document
  publisher: actor/test-publisher
  year: 2020
curator: curator/oretrace-core
curated_on: 2026-01-01
"""
ENTITIES = """\
curator: curator/oretrace-core
curated_on: 2026-01-01
source: test-doc
entities:
  - id: actor/test-publisher
    a: CivilSocietyOrganisation
    label: Test publisher
    at: {section: Cover}
  - id: material/test-metal
    a: RefinedMetal
    label: test metal
    at: {section: Cover}
"""
FIGURE = """\
statements:
  - id: test/ok
    at: {section: One}
    says: A fine statement.
    assert:
      - id: observation/test-ok
        a: ProductionObservation
        measures: TotalProduction
        subject: country/FR
        material: material/test-metal
        year: 2018
        quantity: {value: VALUE, unit: UNIT}
"""


@pytest.fixture()
def case(minimal_project):
    """A writer of test-doc.yaml into a small clean project; returns the problems of reading it."""
    (minimal_project / "data" / "entities" / "test-entities.yaml").write_text(ENTITIES)

    def write(body: str, name: str = "test-doc.yaml", raw: bytes | None = None):
        path = minimal_project / "data" / "sources" / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(body, encoding="utf-8")
        return read(minimal_project)
    write.root = minimal_project
    return write


def read(root: Path) -> list[curated.Problem]:
    try:
        curated.read(Settings(root=root), ontology.load(root / "ontology"))
    except curated.CurationError as e:
        return e.problems
    return []


def figure(value="40", unit="t") -> str:
    return HEADER + FIGURE.replace("VALUE", value).replace("UNIT", unit)


def one(problems, text, line=None):
    hits = [p for p in problems if text in p.message]
    assert hits, f"expected {text!r} in {[str(p) for p in problems]}"
    if line is not None:
        assert hits[0].line == line, str(hits[0])
    assert "(" in hits[0].message, f"no fix given: {hits[0]}"
    return hits[0]


def test_the_clean_case_reads(case):
    assert case(figure()) == []


# ---------------------------------------------------------------- values that would silently change
@pytest.mark.parametrize("written, why", [
    ("010", "leading zero"), ("1:20", "base 60"), ("1_000", "underscores"), ("0b101", "binary"),
])
def test_yaml_1_1_numbers_are_refused_not_reinterpreted(case, written, why):
    p = one(case(figure(written)), "ambiguous value", line=20)
    assert why in p.message and p.file == "data/sources/test-doc.yaml"


@pytest.mark.parametrize("written", ["yes", "on", "No", "OFF"])
def test_yaml_1_1_booleans_are_refused(case, written):
    one(case(figure().replace("{value: 40, unit: t}", f"{{value: 40, unit: t, approximate: {written}}}")), "ambiguous value")


@pytest.mark.parametrize("written, text", [
    (".nan", "not a finite number"), (".inf", "not a finite number"), ("1e400", "not a finite number"),
    ("9" * 5000, "longer than the 40 allowed"), ("1e16", "beyond 10^15"), ("-5", "below 0"),
    ("'40'", "is not a number"), ('"7526,671"', "write 7526.671"),
])
def test_numbers_must_be_finite_plain_and_in_range(case, written, text):
    one(case(figure(written)), text, line=20)


def test_a_concentration_over_a_million_ppm_and_a_share_over_100_percent(case):
    one(case(figure("2000000", "ppm")), "over 1,000,000 ppm", line=20)
    one(case(figure("140", "percent")), "over 100 %", line=20)


def test_a_value_is_kept_exactly_as_written(case):
    """0.10 and 46236,373-like decimals are not rounded through binary floats."""
    assert case(figure("46236.373")) == []
    cur = curated.read(Settings(root=case.root), ontology.load(case.root / "ontology"))
    obs = next(n for s in cur.statements for n in s.nodes if n.ref == "observation/test-ok")
    values = [v.value for p, v in obs.values if p.endswith("numericValue")]
    assert values == ["46236.373"]


# ---------------------------------------------------------------- identifiers, text, URLs, locators
def test_an_id_with_a_trailing_newline_is_not_trimmed(case):
    body = figure().replace("  - id: test/ok\n", '  - id: "test/ok\\n"\n')
    one(case(body), "is not a statement id", line=10)


def test_an_entity_reference_with_a_trailing_newline(case):
    body = figure().replace("subject: country/FR", 'subject: "country/FR\\n"')
    one(case(body), "is not an entity reference")


@pytest.mark.parametrize("url, text", [
    ("javascript:alert(1)", "not an http(s) URL"), ("https://exa mple.org/x", "cannot hold"),
    ("data:text/html,<b>x</b>", "cannot hold"), ("https://", "not an http(s) URL"), ("http://a:99999/", "not a valid URL"),
])
def test_only_http_urls_that_are_valid_iris(case, url, text):
    body = HEADER.replace("  year: 2020\n", f"  year: 2020\n  url: '{url}'\n") + FIGURE.replace("VALUE", "1").replace("UNIT", "t")
    one(case(body), text, line=7)


def test_text_fields_have_a_length_cap_named_in_the_error(case):
    body = figure().replace("says: A fine statement.", "says: " + "word " * 200)
    one(case(body), "more than the 400 allowed")


def test_control_characters_in_text(case):
    body = figure().replace("says: A fine statement.", 'says: "bad\\u0007bell"')
    one(case(body), "control characters")


@pytest.mark.parametrize("page, ok", [("12", True), ("'12-13'", True), ("'12 – 13'", True), ("xii", True),
                                      ("'p. 12'", False), ("0", False), ("'13-12'", False), ("three", False)])
def test_page_locators_are_normalised_or_refused(case, page, ok):
    problems = case(figure().replace("at: {section: One}", f"at: {{page: {page}}}"))
    if ok:
        assert problems == [], [str(p) for p in problems]
    else:
        one(problems, "page", line=11)


# ---------------------------------------------------------------- structure and work
def test_an_alias_bomb_is_stopped_with_its_limit_named(case):
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    t0 = time.monotonic()
    p = one(case(HEADER + "\n".join(bomb) + "\n"), "max_values")
    assert time.monotonic() - t0 < 5 and p.line > 1


def test_deep_nesting_is_stopped(case):
    one(case(HEADER + "x: " + "[" * 20000 + "]" * 20000 + "\n"), "max_depth")


def test_a_complex_mapping_key(case):
    one(case(HEADER + "? [a, b]\n: c\n"), "must be a name")


def test_duplicate_keys_and_explicit_tags(case):
    one(case(HEADER + "curator: curator/oretrace-core\n"), "duplicate key 'curator'", line=9)
    one(case(HEADER + "statements: !!python/object:os.system ls\n"), "explicit YAML tag")


def test_a_file_over_the_size_limit(case):
    body = HEADER + "# " + "x" * (9 << 20) + "\n"
    one(case(body), "max_bytes", line=1)


def test_latin1_text_is_refused_with_its_line(case):
    raw = (HEADER + "statements: []\n# caf\xe9\n").encode("latin-1")
    one(case("", raw=raw), "not UTF-8", line=10)


def test_two_documents_in_one_file(case):
    one(case(figure() + "---\nsource: {}\n"), "more than one YAML document")


# ---------------------------------------------------------------- files the build would skip or hang on
def test_files_that_are_not_curated_data(case):
    root = case.root
    src = root / "data" / "sources"
    (src / "notes.yml").write_text("x: 1\n")
    (src / "empty.yaml").write_text("")
    (src / "folder.yaml").mkdir()
    (src / "sub").mkdir()
    os.mkfifo(src / "pipe.yaml")
    (root.parent / "outside.yaml").write_text(HEADER)
    (src / "link.yaml").symlink_to(root.parent / "outside.yaml")
    (root / "data" / "stray.csv").write_text("a,b\n")
    t0 = time.monotonic()
    problems = case(figure())
    assert time.monotonic() - t0 < 10, "a FIFO must not be opened"
    by_file = {p.file: p.message for p in problems}
    assert "rename it" in by_file["data/sources/notes.yml"]
    assert "is empty" in by_file["data/sources/empty.yaml"]
    assert "is a folder" in by_file["data/sources/folder.yaml"]
    assert "subfolders" in by_file["data/sources/sub"]
    assert "not a regular file" in by_file["data/sources/pipe.yaml"]
    assert "outside data/" in by_file["data/sources/link.yaml"]
    assert "not read by the build" in by_file["data/stray.csv"]


# ---------------------------------------------------------------- meaning across files
def test_a_flow_from_a_country_to_itself(case):
    body = HEADER + """statements:
  - id: test/self-flow
    at: {section: One}
    says: Zinc moved within France.
    assert:
      - id: flow/test-self
        a: Flow
        label: a flow to itself
        material: material/test-metal
        origin: country/FR
        destination: country/FR
"""
    one(case(body), "from country/FR to itself", line=19)


def test_a_number_outside_an_observation(case):
    body = HEADER + """statements:
  - id: test/flow-number
    at: {section: One}
    says: A flow of 5 t.
    assert:
      - id: flow/test-number
        a: Export
        label: an export
        origin: country/FR
        quantity: {value: 5, unit: t}
"""
    one(case(body), "only observations carry figures", line=18)


def test_citation_cycles_and_self_citations(case):
    body = HEADER.replace("curator: curator", """  cites: cited-a
curator: curator""") + """cited_sources:
  - id: cited-a
    a: Report
    cited_as: A, 2020
    creator: [A]
    cites: cited-b
    at: {section: Refs}
  - id: cited-b
    a: Report
    cited_as: B, 2020
    creator: [B]
    cites: cited-a
    at: {section: Refs}
statements:
  - id: test/self-cite
    at: {section: One}
    cites: test-doc
    says: A statement citing its own document.
    assert:
      - about: material/test-metal
        description: A metal.
"""
    problems = case(body)
    one(problems, "citation cycle")
    one(problems, "cites its own document")


def test_deprecated_entities_and_terms(case):
    body = figure() + """  - id: test/old
    at: {section: Two}
    says: An old flow.
    assert:
      - id: flow/test-old
        a: Flow
        label: an old flow
        deprecated: true
        replaced_by: flow/no-such-flow
  - id: test/uses-old
    at: {section: Two}
    says: Refers to the old flow.
    assert:
      - about: flow/test-old
        material: material/test-metal
  - id: test/deprecated-term
    at: {section: Two}
    says: Uses a property that is gone.
    assert:
      - about: material/test-metal
        purity: 99.9
"""
    problems = case(body)
    one(problems, "replaced by unknown entity 'flow/no-such-flow'")
    one(problems, "flow/test-old is deprecated")
    one(problems, "purity is a deprecated term of the ontology (use Purity instead")


def test_one_mistake_gives_one_error(case):
    problems = case(figure().replace("unit: t}", "unit: tonnes}"))
    assert len([p for p in problems if p.file.endswith("test-doc.yaml")]) == 1, [str(p) for p in problems]


# ---------------------------------------------------------------- the command line
def test_the_cli_gives_exit_2_and_file_line_never_a_traceback(case, tmp_path):
    case(HEADER + "x: " + "[" * 5000 + "]" * 5000 + "\n")
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(case.root), "--build", str(tmp_path / "b"), "build"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "data/sources/test-doc.yaml:9: -: nested more than 64 levels" in r.stderr
    assert not (tmp_path / "b" / "current").exists()


# ---------------------------------------------------------------- property-based: anything goes in
_keys = st.sampled_from(["id", "a", "about", "at", "says", "assert", "quantity", "value", "unit", "year", "subject",
                         "statements", "source", "curator", "curated_on", "measures", "label", "cites", "page", "x"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                     st.sampled_from(["010", "1:20", "yes", "~", "&a", "*a", "!!str", "observation/x", "country/ZZ",
                                      ".nan", "1e400", "'", '"', "{", "[", "- ", ": ", "\t", "\r", "\x00", "#"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_keys, inner, max_size=4)), max_leaves=20)


def _dump(v, indent=0) -> str:
    pad = "  " * indent
    if isinstance(v, dict):
        return "".join(f"{pad}{k}:\n{_dump(x, indent + 1)}" if isinstance(x, (dict, list)) and x else f"{pad}{k}: {_dump(x)}\n"
                       for k, x in v.items()) or f"{pad}{{}}\n"
    if isinstance(v, list):
        return "".join(f"{pad}-\n{_dump(x, indent + 1)}" if isinstance(x, (dict, list)) and x else f"{pad}- {_dump(x)}\n"
                       for x in v) or f"{pad}[]\n"
    return str(v).replace("\n", " ") if v is not None else ""


@hsettings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(_keys, _values, max_size=6), noise=st.binary(max_size=40), mode=st.integers(0, 2))
def test_generated_malformed_documents_never_crash_the_reader(minimal_project, doc, noise, mode):
    text = HEADER + _dump(doc) if mode == 0 else _dump(doc) if mode == 1 else None
    path = minimal_project / "data" / "sources" / "fuzz.yaml"
    if text is None:
        path.write_bytes(HEADER.encode() + noise)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else path.write_bytes(
            text.encode("utf-8", "replace"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for p in read(minimal_project):  # only CurationError may come out: any other exception fails the test
        assert isinstance(p.line, int) and p.line >= 1 and p.file and p.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: bounded memory


def test_the_yaml_reader_alone_gives_only_its_own_error():
    for text in ["a: [", "]]]", "a: *b", "? ? ?", "a: !x 1", "\x00", "a:\n\t- b", "a: |\n  x\n b: 2"]:
        try:
            yamlio.load(text)
        except yamlio.YamlError as e:
            assert e.line >= 1


@pytest.mark.parametrize("damage", [
    ("value: 584, unit: ppm", "value: 0584, unit: ppm", "ambiguous value '0584'"),
    ("value: 584, unit: ppm", "value: " + "9" * 5000 + ", unit: ppm", "longer than the 40 allowed"),
    (b"Indium matters", b"Indium m\xe4tters", "not UTF-8 text"),
], ids=["yaml-1.1-number", "huge-number", "latin-1"])
def test_one_mistake_in_the_largest_file_is_one_error(project_copy, damage):
    """A file that cannot be read declares nothing the checker can know, so the references other
    files make to it are not reported as unknown: one mistake, one error (not a hundred)."""
    old, new, message = damage
    p = project_copy / "data" / "sources" / "catapa-indium-report.yaml"
    if isinstance(old, bytes):
        p.write_bytes(p.read_bytes().replace(old, new, 1))
    else:
        p.write_text(p.read_text().replace(old, new, 1))
    with pytest.raises(curated.CurationError) as e:
        curated.read(Settings(root=project_copy))
    assert len(e.value.problems) == 1 and message in str(e.value.problems[0]), [str(x) for x in e.value.problems[:5]]
    assert e.value.problems[0].file == "data/sources/catapa-indium-report.yaml"


def test_a_statement_id_with_a_newline_stays_on_its_line(project_copy):
    p = project_copy / "data" / "sources" / "catapa-indium-report.yaml"
    p.write_text(p.read_text().replace("- id: catapa-indium/no-payment-for-indium",
                                       '- id: "catapa-indium/no-payment-for-indium\\n"', 1))
    with pytest.raises(curated.CurationError) as e:
        curated.read(Settings(root=project_copy))
    lines = str(e.value).splitlines()
    assert len(lines) == 1 and "'catapa-indium/no-payment-for-indium\\n'" in lines[0], lines
