"""Commodity codes of the Harmonized System (HS 2022): checking them, and the material each stands for.

The full nomenclature is read from `../shared/external/hs-codes/` when it is there, otherwise
the short list shipped with oretrace (`reference.hs_codes()`) is used. Each six-digit code
becomes a material `material/hs-<code>`. For the metal codes oretrace follows, the material
says which element it contains. Where one code covers several metals, the material is a
`MaterialGroup` whose members are the elements, and it does *not* claim to contain any of
them: indium has no six-digit code of its own (8112.92 and 8112.99 also hold gallium,
germanium, niobium and vanadium), so an export under those codes is not an indium-bearing
export, only one that may carry indium (`?flow ot:material/ot:groupMember ot:Indium`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import reference
from ..vocab import DCTERMS, OT, SKOS
from . import nt
from .common import A, LABEL, Emitter

NOMENCLATURE = ("external", "hs-codes", "datasets-harmonized-system", "data", "harmonized-system.csv")


@dataclass(frozen=True)
class Commodity:
    classes: tuple[str, ...]
    elements: tuple[str, ...] = ()      # ot:containsElement
    members: tuple[str, ...] = ()       # ot:groupMember (a group: contains none of them for sure)
    note: str = ""


_ORES = ("Material", "MinedMaterial")
# Prefixes of HS codes, longest first, and what oretrace knows of the material.
KNOWN = {
    "2605": Commodity(_ORES, ("Cobalt",)),
    "2607": Commodity(_ORES, ("Lead",)),
    "2608": Commodity(_ORES, ("Zinc",)),
    "2609": Commodity(_ORES, ("Tin",)),
    "2611": Commodity(_ORES, ("Tungsten",)),
    "261590": Commodity(_ORES + ("MaterialGroup",), (), ("Niobium", "Tantalum"),
                        "Niobium, tantalum and vanadium ores share this code: a flow under it may or may not carry tantalum."),
    "261610": Commodity(_ORES, ("Silver",)),
    "261690": Commodity(_ORES + ("MaterialGroup",), (), ("Gold",),
                        "Precious-metal ores other than silver share this code: a flow under it may or may not carry gold."),
    "7108": Commodity(("Material",), ("Gold",)),
    "7901": Commodity(("Material",), ("Zinc",)),
    "8001": Commodity(("Material",), ("Tin",)),
    "8101": Commodity(("Material",), ("Tungsten",)),
    "8103": Commodity(("Material",), ("Tantalum",)),
    "8105": Commodity(("Material",), ("Cobalt",)),
    "811292": Commodity(("Material", "MaterialGroup"), (), ("Gallium", "Germanium", "Indium", "Niobium"),
                        "Indium has no HS code of its own: gallium, germanium, indium, niobium and vanadium share this "
                        "code, so a flow under it may or may not carry indium."),
    "811299": Commodity(("Material", "MaterialGroup"), (), ("Gallium", "Germanium", "Indium", "Niobium"),
                        "Indium has no HS code of its own: articles of gallium, germanium, indium, niobium and vanadium "
                        "share this code, so a flow under it may or may not carry indium."),
}


@dataclass
class Nomenclature:
    codes: dict[str, str]      # six-digit code -> description
    full: bool                 # the whole HS 2022 list, or only oretrace's short list
    path: Path | None = None
    described: set = field(default_factory=set)


@lru_cache(maxsize=4)
def load(shared_dir: Path) -> Nomenclature:
    path = Path(shared_dir).joinpath(*NOMENCLATURE)
    if path.is_file():
        codes = {}
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("level") == "6":
                    codes[row["hscode"]] = row["description"]
        return Nomenclature(codes, True, path)
    return Nomenclature(dict(reference.hs_codes()), False, None)


def normalise(code: str) -> str | None:
    """Six digits from '8112.92', '811292' or ' 811292 '; None if it is not six digits."""
    c = code.strip().replace(".", "").replace(" ", "")
    return c if len(c) == 6 and c.isdigit() else None


def commodity(code: str) -> Commodity:
    for n in (6, 4):
        if code[:n] in KNOWN:
            return KNOWN[code[:n]]
    return Commodity(("Material",))


def emit_material(em: Emitter, nomen: Nomenclature, code: str) -> str:
    """The IRI term of `material/hs-<code>`, described once per import from the nomenclature."""
    term = nt.iri(em.iris.entity("material", f"hs-{code}"))
    key = f"hs-{code}"
    if key in em.described:
        return term
    src = em.describe_source("hs-2022", "ReferenceStandard", "Harmonized System 2022 nomenclature (six-digit codes)",
                             creators=["World Customs Organization"], year=2022,
                             url="https://github.com/datasets/harmonized-system")
    c = commodity(code)
    t = [(term, A, nt.iri(OT + k)) for k in c.classes]
    t.append((term, LABEL, nt.lit(f"HS {code[:4]}.{code[4:]}: {nomen.codes.get(code, '')}".rstrip(": "), "en")))
    t.append((term, nt.iri(SKOS + "notation"), nt.lit(code)))
    for e in c.elements:
        t.append((term, nt.iri(OT + "containsElement"), nt.iri(OT + e)))
    for m in c.members:
        t.append((term, nt.iri(OT + "groupMember"), nt.iri(OT + m)))
    if c.note:
        t.append((term, nt.iri(DCTERMS + "description"), nt.lit(c.note, "en")))
    em.reference(key, t, [term], src, {"item": code})
    return term
