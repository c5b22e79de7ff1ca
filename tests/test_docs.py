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
