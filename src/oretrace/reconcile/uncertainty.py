"""The standard uncertainty of a figure, from what the graph says about it.

In order (docs/reconciliation.md):

1. the figure's own ``ot:standardUncertainty`` (in the figure's unit) or ``ot:relativeUncertainty``
   (percent of its value), when a curator gave one;
2. a range ``ot:minValue``..``ot:maxValue`` read as a uniform distribution: the midpoint, and half
   the width over sqrt 3; "up to max" as uniform on [0, max]; "at least min" is not a usable value;
3. otherwise a relative uncertainty by the confidence of the statement (stated, estimated,
   implied), at least the one for ``ot:estimated`` figures, with ``ot:approximate`` and the
   rounding of the written value added in quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..vocab import OT
from .assumptions import Assumptions

CONFIDENCE = {OT + "Stated": "stated", OT + "Estimated": "estimated", OT + "Implied": "implied"}


@dataclass(frozen=True)
class Weighed:
    """A figure's value and standard uncertainty (in its own unit), and how they were obtained."""

    value: float | None
    sd: float | None
    basis: str          # readable: "stated 5 % + rounding", "range 80-90 (uniform)", ...
    usable: bool
    low: float | None = None     # the range the figure itself states, if any
    high: float | None = None


def rounding_unit(lexical: str | None) -> float | None:
    """The unit of the last significant digit written: 0.001 for "7526.671", 10 for "40", 1 for "0";
    trailing zeros of a whole number are taken as not significant (10000 for "150000")."""
    if not lexical:
        return None
    try:
        d = Decimal(lexical.strip())
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    sign, digits, exp = d.as_tuple()
    if exp < 0:
        return 10.0 ** exp
    if d == 0:
        return 1.0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return 10.0 ** (exp + trailing)


def weigh(*, value: float | None, lexical: str | None, low: float | None, high: float | None,
          confidence: str | None, approximate: bool, estimated: bool,
          standard_uncertainty: float | None, relative_uncertainty: float | None,
          assumptions: Assumptions) -> Weighed:
    u = assumptions.values["uncertainty"]
    # the value
    if value is not None:
        v, range_basis = value, None
    elif low is not None and high is not None:
        v, range_basis = (low + high) / 2, f"range {low:g} to {high:g} (uniform)"
    elif high is not None:
        v, range_basis = high / 2, f"up to {high:g} (uniform from 0)"
        low = 0.0
    else:
        return Weighed(None, None, "only a lower bound: not a usable value", False, low, high)
    # its standard uncertainty
    if standard_uncertainty is not None:
        return Weighed(v, abs(standard_uncertainty), f"standard uncertainty {standard_uncertainty:g} stated for the figure",
                       True, low, high)
    if relative_uncertainty is not None:
        return Weighed(v, abs(v) * relative_uncertainty / 100, f"relative uncertainty {relative_uncertainty:g} % stated for the figure",
                       True, low, high)
    if range_basis:
        return Weighed(v, (high - low) / (2 * math.sqrt(3)), range_basis, True, low, high)
    level = CONFIDENCE.get(confidence or "", "stated")
    rel = float(u[level])
    parts = [f"{level} {rel:g} %"]
    if estimated and u["estimated_flag"] > rel:
        rel = float(u["estimated_flag"])
        parts = [f"estimated {rel:g} %"]
    sq = (rel / 100 * abs(v)) ** 2
    if approximate and u["approximate"]:
        sq += (u["approximate"] / 100 * abs(v)) ** 2
        parts.append(f"approximate {u['approximate']:g} %")
    if u["rounding"]:
        ru = rounding_unit(lexical)
        if ru:
            sq += (ru / 2 / math.sqrt(3)) ** 2
            parts.append(f"rounding to {ru:g}")
    return Weighed(v, math.sqrt(sq), " + ".join(parts), True, low, high)
