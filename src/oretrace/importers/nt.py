"""N-Quads text for the importers: terms written straight to lines, no per-term Python objects."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..vocab import XSD

_ESC = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_IRI_BAD = set('<>"{}|^`\\ \t\n\r')

XSD_INTEGER = f"<{XSD}integer>"
XSD_DECIMAL = f"<{XSD}decimal>"
XSD_BOOLEAN = f"<{XSD}boolean>"
XSD_DATE = f"<{XSD}date>"


def iri(value: str) -> str:
    """An IRI term; raises ValueError for characters N-Quads forbids in IRIs."""
    if _IRI_BAD.intersection(value):
        raise ValueError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def lit(value: str, lang: str | None = None) -> str:
    text = f'"{value.translate(_ESC)}"'
    return f"{text}@{lang}" if lang else text


def integer(value: int) -> str:
    return f'"{int(value)}"^^{XSD_INTEGER}'


def decimal(value) -> str:
    """An xsd:decimal literal in canonical-ish form (no exponent)."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    if text in ("-0", ""):
        text = "0"
    return f'"{text}"^^{XSD_DECIMAL}'


def boolean(value: bool) -> str:
    return f'"{"true" if value else "false"}"^^{XSD_BOOLEAN}'


def to_decimal(text: str) -> Decimal | None:
    """A number from a table cell (plain digits, optional sign and point), or None."""
    t = text.strip()
    if not t:
        return None
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return d


def quad(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n"
