"""The extractor's word lists (src/oretrace/extract/words/*.tsv): what they name exists, and a bad
row stops the import with its file, line and what to change."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import OWL, RDF

from conftest import ROOT

OT = rdflib.Namespace("https://w3id.org/oretrace/ontology#")


@pytest.fixture(scope="module")
def ontology_classes():
    g = rdflib.Graph()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(f)
    return {str(c).removeprefix(str(OT)) for c in g.subjects(RDF.type, OWL.Class) if str(c).startswith(str(OT))}


def test_every_class_a_list_names_is_an_ontology_class(ontology_classes):
    from oretrace.extract import lexicon, mentions
    named = {cls for cls, _, _ in lexicon.MEASURES.values()} | {c for rows in mentions._CUES.values() for _, _, c in rows}
    assert named and named <= ontology_classes, sorted(named - ontology_classes)


def test_every_measure_word_points_to_a_declared_measure():
    from oretrace.extract import lexicon
    assert {m for _, m, _ in lexicon.KEYWORDS} <= set(lexicon.MEASURES)
    assert len(lexicon.KEYWORDS) > 30 and all(w > 0 for _, _, w in lexicon.KEYWORDS)


def test_name_cues_keep_the_list_order_per_position():
    from oretrace.extract import mentions, wordlists
    rows = wordlists.read("name-cues", ("position", "pattern", "kind", "class"))
    for pos, cues in mentions._CUES.items():
        assert [(k, c) for _, k, c in cues] == [(k, c) for p, _, k, c in rows if p == pos]
    # an `after` cue matches past white space, case ignored
    rx = next(rx for rx, _, c in mentions._CUES["after"] if c == "Smelter")
    assert rx.match("  Smelter of") and not rx.match("smelter")


@pytest.mark.parametrize("body, says", [
    ("pattern\tmeasure\n", "the header names pattern, measure; this list needs the columns pattern, measure, weight"),
    ("pattern\tmeasure\tweight\nexport\tExportQuantity\n", ":5: 2 cells where the header names 3"),
    ("pattern\tmeasure\tweight\nexp(ort\tExportQuantity\t2.5\n", ":5: the pattern does not compile"),
    ("pattern\tmeasure\tweight\nexport\tExportQuantity\ttwo\n", ":5: weight 'two' is not a number"),
    ("pattern\tmeasure\tweight\nexport\t ExportQuantity\t2.5\n", ":5: the measure cell ' ExportQuantity' is empty or has spaces"),
])
def test_a_bad_row_is_named_with_its_line(tmp_path, monkeypatch, body, says):
    from oretrace.extract import wordlists
    (tmp_path / "bad.tsv").write_text("# a comment\n# another\n\n" + body, encoding="utf-8")
    monkeypatch.setattr(wordlists, "WORDS", tmp_path)
    with pytest.raises(wordlists.WordListError) as e:
        wordlists.read("bad", ("pattern", "measure", "weight"))
    assert str(tmp_path / "bad.tsv") in str(e.value) and says in str(e.value)
