"""Synthetic trade statistics in the layout `oretrace import trade` reads, to test and benchmark at scale.

    python -m oretrace.importers.synthetic OUT.csv --triples 1000000 [--seed 1] [--fault-rate 0.03]

The data are made up and say so: they are not statistics of any real trade. Rows are drawn
from a seeded generator (the same seed and size give the same bytes), over many countries,
years and HS codes, with a share of deliberately faulty rows of the kinds real files have: an
unknown or ambiguous country, a code missing from the nomenclature, an unknown unit, a negative
or unreadable number, a duplicated row, a row with a missing field. Each faulty row is a
different line, so `--skip-bad-rows` imports exactly the good ones.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

HEADER = "year,exporter,importer,commodity_code,quantity,unit,value_usd\n"
# Quads per good row in the built graph: about 38 written by the trade importer (the flow, its
# quantity and value figures, provenance, citation, place and material descriptions) and 10
# superclass types concluded while loading (measured at 100,000: 110,297 and 27,609 for 2,873 rows).
QUADS_PER_ROW = 48
# the HS codes oretrace lists in src/oretrace/resources/hs_codes.tsv
CODES = ["260700", "260800", "260900", "261100", "261590", "261610", "261690", "282590", "710812", "800110",
         "810194", "810320", "811292", "811299"]
YEARS = list(range(1995, 2024))
FAULTS = ("unknown-country", "ambiguous-country", "bad-code", "unknown-unit", "negative", "not-a-number",
          "duplicate", "missing-field")


def _countries() -> list[str]:
    import pycountry

    return sorted(c.alpha_3 for c in pycountry.countries)


def rows_for(triples: int, fault_rate: float) -> int:
    """How many rows give a built graph of about `triples` quads."""
    return max(1, math.ceil(triples / QUADS_PER_ROW / (1 - fault_rate)))


def generate(out: Path, triples: int, seed: int = 1, fault_rate: float = 0.03) -> dict:
    """Write the file; return counts of rows and of faulty rows by kind."""
    rng = random.Random(seed)
    cs = _countries()
    n_rows = rows_for(triples, fault_rate)
    space = len(YEARS) * len(cs) * (len(cs) - 1) * len(CODES)
    if n_rows > space:
        raise ValueError(f"{n_rows} rows exceed the {space} distinct keys the generator can make")
    step = rng.randrange(1, space)
    while math.gcd(step, space) != 1:
        step += 1
    offset = rng.randrange(space)
    order = cs[:]
    rng.shuffle(order)
    prices = {c: rng.uniform(300, 40000) for c in CODES}
    faults = {k: 0 for k in FAULTS}
    last_good = None
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER)
        buf = []
        for i in range(n_rows):
            k = (offset + i * step) % space
            k, code_i = divmod(k, len(CODES))
            k, imp_i = divmod(k, len(cs) - 1)
            year_i, exp_i = divmod(k, len(cs))
            exp, imp = order[exp_i], order[(exp_i + 1 + imp_i) % len(cs)]
            code, year = CODES[code_i], YEARS[year_i]
            qty = round(rng.lognormvariate(6, 2), 3)
            val = round(qty * prices[code] * rng.uniform(0.7, 1.3), 2)
            fields = [str(year), exp, imp, code, f"{qty}", "t", f"{val}"]
            if rng.random() < fault_rate:
                kind = rng.choice(FAULTS)
                if kind == "duplicate" and last_good is None:
                    kind = "unknown-unit"
                faults[kind] += 1
                if kind == "unknown-country":
                    fields[1] = "Atlantis"
                elif kind == "ambiguous-country":
                    fields[2] = "Congo"
                elif kind == "bad-code":
                    fields[3] = "260801"  # heading 26.08 has only 2608.00
                elif kind == "unknown-unit":
                    fields[5] = "lb"
                elif kind == "negative":
                    fields[4] = f"-{qty}"
                elif kind == "not-a-number":
                    fields[6] = "n/a"
                elif kind == "duplicate":
                    fields = last_good
                elif kind == "missing-field":
                    fields = fields[:-1]
            else:
                last_good = fields
            buf.append(",".join(fields) + "\n")
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    tmp.replace(out)
    return {"rows": n_rows, "faulty": sum(faults.values()), "faults": faults}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--triples", type=int, required=True, help="about how many quads the import should give")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.03, help="share of deliberately faulty rows (default 0.03)")
    a = ap.parse_args(argv)
    info = generate(a.out, a.triples, a.seed, a.fault_rate)
    print(f"{a.out}: {info['rows']:,} rows, {info['faulty']:,} faulty ({', '.join(f'{k} {v}' for k, v in info['faults'].items())})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
