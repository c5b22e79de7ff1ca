"""The YAML written back: a proposal's curated part as plain data, and round-trip (ruamel) nodes laid
out as the curated files write them, so an accepted file keeps its comments and order."""

from __future__ import annotations


def _clean(v):
    """A proposal's curated part: the `proposal:` mapping removed, plain types throughout."""
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if k != "proposal"}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _dump(d) -> str:
    from ..extract.yamlout import dump

    return dump(d)


def _rt():
    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _commented(v, flow_small=True):
    """Plain data as ruamel nodes, short mappings and lists on one line as the curated files write them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(v, dict):
        m = CommentedMap()
        for k, x in v.items():
            m[k] = _commented(x)
        if flow_small and v and all(not isinstance(x, (dict, list)) for x in v.values()) and \
                len(str(v)) < 90 and len(v) <= 6 and not any(k in v for k in ("id", "about")):
            m.fa.set_flow_style()
        return m
    if isinstance(v, list):
        s = CommentedSeq(_commented(x) for x in v)
        if v and all(isinstance(x, str) for x in v) and len(str(v)) < 90:
            s.fa.set_flow_style()
        return s
    return v


def _rt_text(y, doc) -> str:
    """A round-trip document as text."""
    import io

    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()
