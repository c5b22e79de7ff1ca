"""Cite this: a statement or a source as text, BibTeX and CSL-JSON, from the rows of
queries/citation.rq, with oretrace's own address, build version and the access date.

A statement is cited as the document it comes from (with the locator and the source that document
cites for the fact), followed by where it is in oretrace; a source as itself. Every form carries a URL
(the document's own address, or else oretrace's address of the item) and the access date.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from .vocab import OT

KINDS = {"Report": ("report", "techreport"), "Dataset": ("dataset", "misc"), "Statistic": ("dataset", "misc"),
         "LegalText": ("legislation", "misc"), "CompanyPublication": ("report", "techreport"),
         "WebPage": ("webpage", "misc"), "ReferenceStandard": ("standard", "misc")}


def _text(v) -> str:
    """A value of the query's rows as text (a year comes as an int from an xsd:gYear)."""
    return v if isinstance(v, str) else str(v)


def _one(rows, key):
    return next((_text(r[key]) for r in rows if r.get(key) not in (None, "")), None)


def _all(rows, key):
    out = []
    for r in rows:
        if r.get(key) not in (None, "") and _text(r[key]) not in out:
            out.append(_text(r[key]))
    return out


def record(rows: list[dict]) -> dict:
    """The citation's fields from the query's rows (values as plain strings)."""
    if not rows:
        raise ValueError("nothing to cite: the item is neither a statement nor a source")
    kind = (_one(rows, "kind") or OT + "Source").rsplit("#", 1)[-1]
    year = _one(rows, "year")
    return {"item": rows[0]["item"], "document": rows[0]["document"], "kind": kind, "title": _one(rows, "title") or "",
            "creators": _all(rows, "creator"), "publishers": _all(rows, "publisher"), "year": year,
            "not_before": None if year else _one(rows, "notBefore"), "url": _one(rows, "url") or rows[0]["item"],
            "where": _one(rows, "where"), "paraphrase": _one(rows, "paraphrase"), "cited": _all(rows, "cited")}


def text(rec: dict, version: str, accessed: dt.date | None = None) -> str:
    """One paragraph: authors (year). Title. Publisher. URL. Locator; cited source. oretrace item, version, date."""
    accessed = accessed or dt.date.today()
    who = "; ".join(rec["creators"]) or ", ".join(rec["publishers"]) or "Anonymous"
    when = rec["year"] or (f"n.d., not before {rec['not_before']}" if rec["not_before"] else "n.d.")
    parts = [f"{who} ({when}). {rec['title']}."]
    if rec["publishers"] and rec["creators"]:
        parts.append(", ".join(rec["publishers"]) + ".")
    if rec["url"] and rec["url"] != rec["item"]:  # else the item's own address ends the text
        parts.append(rec["url"] + ".")
    if rec["where"]:
        parts.append(rec["where"][:1].upper() + rec["where"][1:] + (f"; citing {', '.join(rec['cited'])}" if rec["cited"] else "") + ".")
    parts.append(f"In oretrace {version}, {rec['item']}, accessed {accessed.isoformat()}.")
    return " ".join(parts)


def _bib_escape(s: str) -> str:
    return re.sub(r"([{}\\&%$#_^~])", r"\\\1", s)


def bibtex(rec: dict, version: str, accessed: dt.date | None = None) -> str:
    accessed = accessed or dt.date.today()
    key = re.sub(r"[^A-Za-z0-9]+", "-", rec["document"].rsplit("/", 1)[-1]).strip("-") or "oretrace"
    fields = {"title": rec["title"], "author": " and ".join(f"{{{c}}}" if " " in c else c for c in rec["creators"]),
              "institution": " and ".join(rec["publishers"]) if rec["creators"] else "",
              "publisher": "" if rec["creators"] else " and ".join(rec["publishers"]),
              "year": rec["year"] or "", "url": rec["url"] or "", "urldate": accessed.isoformat(),
              "note": "; ".join(x for x in (rec["where"], f"cited by oretrace {version} as {rec['item']}") if x)}
    body = ",\n".join(f"  {k} = {{{_bib_escape(v) if k not in ('author', 'url') else v}}}" for k, v in fields.items() if v)
    return f"@{KINDS.get(rec['kind'], ('report', 'misc'))[1]}{{{key},\n{body}\n}}\n"


def csl_json(rec: dict, version: str, accessed: dt.date | None = None) -> str:
    accessed = accessed or dt.date.today()
    item = {"id": rec["item"], "type": KINDS.get(rec["kind"], ("report", "misc"))[0], "title": rec["title"],
            "author": [{"literal": c} for c in rec["creators"]] or [{"literal": p} for p in rec["publishers"]],
            "publisher": ", ".join(rec["publishers"]) or None, "URL": rec["url"],
            "issued": {"date-parts": [[int(rec["year"])]]} if rec["year"] else None,
            "accessed": {"date-parts": [[accessed.year, accessed.month, accessed.day]]},
            "locator": rec["where"], "note": f"oretrace {version}: {rec['item']}"}
    return json.dumps([{k: v for k, v in item.items() if v}], indent=1, ensure_ascii=False) + "\n"
