"""Read and check the curated YAML files of data/: the first stage of the data path.

`read(settings)` returns a `Curation` (sources, statements, entities) or raises `CurationError`
listing every problem found, one per line, as `file:line: statement-id: problem (fix)`.

    yamlio    YAML text -> values with line numbers (YAML 1.2 scalars, hard limits)
    files     which files of data/ are curated input (regular files inside data/ only)
    format    the curated format, declared once (checker rules, app forms)
    artefacts the JSON Schemas and README tables made from `format`
    reader    files -> statements and nodes (structure from `format`, then meaning)
    values    field values against the ontology: quantities, references, code lists, literals
    checks    checks across files: references, citations, flows, deprecations
    labels    country, region and town statements from the shipped references; observation labels
    model     the data classes the rest of the data path reads
"""

from .model import Curation, CurationError, Lit, Node, Problem, Source, Statement
from .reader import CONFIDENCE, read

__all__ = ["read", "Curation", "CurationError", "Lit", "Node", "Problem", "Source", "Statement", "CONFIDENCE"]
