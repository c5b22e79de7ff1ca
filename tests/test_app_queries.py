"""Every question the app asks is a named query in queries/ (tested on both backends by
test_queries.py): no SPARQL query text is written inline in src/oretrace/appdata.py or under app/.

The Python is parsed (ast) and every string literal, f-strings included, is read; a literal counts
as a query when a query form (SELECT, ASK, CONSTRUCT, DESCRIBE) is followed by a WHERE block."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERY = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b[\s\S]*\bWHERE\s*\{")
# not a question the app asks: the example the SPARQL page's editor opens with, for the user to run
REMAINING = {("app/views/sparql.py", "<module>")}


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string's constant parts with its fields as spaces."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values)
    return None


def inline_queries(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of each string literal in the file that holds a SPARQL query."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    def walk(node, func):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = node.name
        if isinstance(node, ast.JoinedStr):  # read as a whole, not part by part
            text = literal_text(node)
            if text and QUERY.search(text):
                found.append((func, node.lineno))
            return
        text = literal_text(node)
        if text and QUERY.search(text):
            found.append((func, node.lineno))
        for child in ast.iter_child_nodes(node):
            walk(child, func)

    walk(tree, "<module>")
    return found


def app_sources() -> list[Path]:
    return [ROOT / "src/oretrace/appdata.py"] + sorted(p for p in (ROOT / "app").rglob("*.py")
                                                       if "node_modules" not in p.parts)


def test_the_detector_finds_a_query_text(tmp_path):
    f = tmp_path / "x.py"
    f.write_text('def a(iri):\n    return f"SELECT ?p WHERE {{ <{iri}> ?p ?o }}"\n'
                 'def b():\n    return "Write a SELECT, ASK, CONSTRUCT or DESCRIBE query."\n'
                 'def c():\n    return ("CONSTRUCT { ?s ?p ?o }"\n            " WHERE { ?s ?p ?o }")\n')
    assert inline_queries(f) == [("a", 2), ("c", 6)]


@pytest.mark.parametrize("path", app_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_sparql_in_the_app(path):
    rel = str(path.relative_to(ROOT))
    found = [(func, line) for func, line in inline_queries(path) if (rel, func) not in REMAINING]
    assert not found, (f"{rel} writes SPARQL inline at {found}: move each question to a named query "
                       "queries/app-<name>.rq (tagged app and its page) and call it with Graph.named()")
