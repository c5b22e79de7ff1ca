"""Country names and codes as they appear in statistics, resolved to ISO 3166 or reported, never guessed.

`resolve(text)` accepts an ISO 3166-1 alpha-2, alpha-3 or numeric code, an English name known to
pycountry, or a name in the alias table below. A former country (the USSR) resolves to a place
of its own carrying its ISO 3166-3 code. A name that could mean two countries ("Congo"), or that
names a group ("Belgium/Lux."), raises `UnknownPlace` with the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


class UnknownPlace(Exception):
    """The text does not name exactly one country."""


@dataclass(frozen=True)
class Place:
    kind: str   # "country" (ISO 3166-1) or "place" (a former country, ISO 3166-3)
    slug: str   # e.g. "BO" or "iso-3166-3-suhh"
    code: str   # ISO 3166-1 alpha-2, or the ISO 3166-3 four-letter code
    label: str
    note: str = ""


# Short forms seen in USGS and trade tables, each with the ISO 3166-1 alpha-2 code it stands for.
ALIASES = {
    "s.korea": "KR", "s. korea": "KR", "south korea": "KR", "korea, south": "KR", "rep. of korea": "KR",
    "n.korea": "KP", "n. korea": "KP", "north korea": "KP", "korea, north": "KP",
    "s.africa": "ZA", "s. africa": "ZA",
    "congo-k": "CD", "congo (kinshasa)": "CD", "dr congo": "CD", "d. rep. of congo": "CD", "dem. rep. congo": "CD",
    "democratic republic of the congo": "CD",
    "congo-b": "CG", "congo (brazzaville)": "CG", "rep. of congo": "CG",
    # ISO 3166-3 records ZR -> CD as a change of code of the same country (ZRCD).
    "zaire": "CD",
    # ISO 3166-1 DE was the code of the Federal Republic of Germany before and after 1990.
    "w. germany": "DE", "west germany": "DE",
    "usa": "US", "u.s.": "US", "united states": "US", "united states of america": "US",
    "uk": "GB", "united kingdom": "GB", "russia": "RU", "iran": "IR", "laos": "LA", "viet nam": "VN",
    "vietnam": "VN", "syria": "SY", "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "moldova": "MD",
    "czech republic": "CZ", "swaziland": "SZ", "turkey": "TR", "burma": "MM", "ivory coast": "CI",
    "png": "PG", "dom. rep.": "DO", "kalaallit nunaat": "GL", "macedonia": "MK",
}

# Former countries with no ISO 3166-1 code today: the four-letter ISO 3166-3 code (pycountry).
FORMER = {"ussr": "SUHH", "soviet union": "SUHH", "u.s.s.r.": "SUHH", "czechoslovakia": "CSHH",
          "yugoslavia": "YUCS", "east germany": "DDDE", "e. germany": "DDDE", "serbia and montenegro": "CSXX"}

# Names that stand for more than one country, with the reason they cannot be resolved.
AMBIGUOUS = {
    "congo": "could be the Democratic Republic of the Congo (CD) or the Republic of the Congo (CG)",
    "korea": "could be South Korea (KR) or North Korea (KP)",
    "guinea": "could be Guinea, Equatorial Guinea or Guinea-Bissau if the table abbreviates",
    "international": "names no country",
}


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"\d+$", "", t.strip())  # footnote digits glued to the name ("Australia/Canada1")
    return re.sub(r"\s+", " ", t).strip()


@lru_cache(maxsize=None)
def _pc():
    import pycountry

    return pycountry


@lru_cache(maxsize=4096)
def resolve(text: str) -> Place:
    """The one country (or former country) `text` names; raises UnknownPlace otherwise."""
    pc = _pc()
    raw = text.strip()
    if not raw:
        raise UnknownPlace("empty country cell (fill it in)")
    key = _key(raw)
    if key in AMBIGUOUS:
        raise UnknownPlace(f"{raw!r} is ambiguous: it {AMBIGUOUS[key]} (write the ISO 3166 code instead)")
    if "/" in raw or " and " in key.replace("serbia and montenegro", ""):
        raise UnknownPlace(f"{raw!r} names more than one country (split the figure per country, or leave it out)")
    if key in FORMER:
        return _former(FORMER[key])
    code = ALIASES.get(key)
    rec = None
    if code:
        rec = pc.countries.get(alpha_2=code)
    elif re.fullmatch(r"[A-Za-z]{2}", raw):
        rec = pc.countries.get(alpha_2=raw.upper())
        if rec is None and pc.historic_countries.get(alpha_2=raw.upper()):
            return _former(pc.historic_countries.get(alpha_2=raw.upper()).alpha_4)
    elif re.fullmatch(r"[A-Za-z]{3}", raw):
        rec = pc.countries.get(alpha_3=raw.upper())
        if rec is None and pc.historic_countries.get(alpha_3=raw.upper()):
            return _former(pc.historic_countries.get(alpha_3=raw.upper()).alpha_4)
    elif re.fullmatch(r"\d{1,3}", raw):
        rec = pc.countries.get(numeric=raw.zfill(3))
    else:
        for c in pc.countries:
            names = {c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)}
            if key in {_key(n) for n in names if n}:
                rec = c
                break
    if rec is None:
        raise UnknownPlace(f"{raw!r} is not an ISO 3166 code or a country name oretrace knows "
                           "(write the ISO 3166-1 alpha-2 or alpha-3 code)")
    return Place("country", rec.alpha_2, rec.alpha_2, getattr(rec, "common_name", None) or rec.name)


def _former(alpha4: str) -> Place:
    h = _pc().historic_countries.get(alpha_4=alpha4)
    note = (f"Former country, withdrawn from ISO 3166-1 on {h.withdrawal_date}; ISO 3166-3 code {h.alpha_4}. "
            "It has no ISO 3166-1 code today.")
    return Place("place", f"iso-3166-3-{alpha4.lower()}", alpha4, h.name, note)
