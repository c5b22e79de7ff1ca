"""The worked examples of docs/modelling.md answer on the curated graph: every SPARQL block runs and
returns at least one row (so the documented pattern is the one the data follows)."""

from __future__ import annotations

import re

import pytest

from oretrace import query
from oretrace.vocab import IRIs

from conftest import ROOT

BLOCKS = re.findall(r"```sparql\n(.*?)```", (ROOT / "docs" / "modelling.md").read_text(), re.S)


def test_there_are_examples():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("n", range(len(BLOCKS)))
def test_each_example_answers(store, built, n):
    text = query.with_prefixes(BLOCKS[n].replace("{base}", IRIs(built.base).base))
    res = query.run_store(store, text)
    assert res.rows, f"no answer to:\n{BLOCKS[n]}"


def test_the_module_map_names_every_module():
    """src/oretrace/__init__.py describes every module (and the modules of curated/, importers/,
    shacl/) in a line: a newcomer's map, in the order the data flows."""
    import oretrace

    listed = set(re.findall(r"[\w.]+", oretrace.__doc__))
    src = ROOT / "src" / "oretrace"
    missing = [p.stem for p in src.glob("*.py") if p.stem != "__init__" and p.stem not in listed]
    missing += [p.name + "/" for p in src.iterdir() if (p / "__init__.py").is_file() and p.name + "/" not in
                oretrace.__doc__]
    for pkg in ("curated", "importers", "shacl", "reconcile"):
        missing += [f"{pkg}/{p.stem}" for p in (src / pkg).glob("*.py") if p.stem != "__init__" and p.stem not in listed]
    assert not missing, f"add a line for each to src/oretrace/__init__.py: {missing}"


def test_the_tests_readme_names_every_test_file():
    """tests/README.md says which file covers which behaviour: every test file has its row, and every
    row names a file that exists."""
    text = (ROOT / "tests" / "README.md").read_text()
    named = set(re.findall(r"`(test_\w+\.py)`", text))
    present = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    assert not present - named, f"add a row to tests/README.md for {sorted(present - named)}"
    assert not named - present, f"tests/README.md names files that do not exist: {sorted(named - present)}"
