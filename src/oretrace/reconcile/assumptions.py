"""The assumptions of `oretrace reconcile`: a versioned YAML file (assumptions.yaml beside this
module), which a user may replace (`--assumptions FILE`) or change value by value (`--set key=value`).

A replacement file is checked against the defaults: every key must be one the defaults have, with a
value of the same kind; keys it leaves out keep their default. Errors name the file, the line and
the key, and say what to write instead.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULTS = Path(__file__).with_name("assumptions.yaml")


class AssumptionError(ValueError):
    """An assumptions file or --set value cannot be used."""


@dataclass(frozen=True)
class Assumptions:
    values: dict
    source: str            # the file read (and the --set values applied)

    def get(self, dotted: str):
        v = self.values
        for part in dotted.split("."):
            v = v[part]
        return v

    @property
    def version(self) -> int:
        return int(self.values["version"])

    @property
    def digest(self) -> str:
        """A short hash of the values used, so two results can be told apart by their assumptions."""
        return hashlib.sha256(json.dumps(self.values, sort_keys=True).encode()).hexdigest()[:12]

    def as_json(self) -> str:
        return json.dumps(self.values, sort_keys=True, separators=(",", ":"))


def _lines(text: str) -> dict[str, int]:
    """The line (1-based) of every dotted key in a YAML mapping document."""
    out: dict[str, int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return out

    def walk(node, prefix):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = f"{prefix}{k.value}"
                out[key] = k.start_mark.line + 1
                walk(v, key + ".")
    walk(root, "")
    return out


def _load(path: Path) -> tuple[dict, dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise AssumptionError(f"{path}:1: cannot be read: {e.strerror or e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise AssumptionError(f"{path}:{line}: not valid YAML: {getattr(e, 'problem', e)} (fix the syntax on this line)") from None
    if not isinstance(data, dict):
        raise AssumptionError(f"{path}:1: an assumptions file is a mapping of keys to values (see {DEFAULTS.name})")
    return data, _lines(text)


def _kind(v) -> str:
    if isinstance(v, bool):
        return "true or false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return "empty"


def _same_kind(default, v) -> bool:
    if isinstance(default, bool) or isinstance(v, bool):
        return isinstance(default, bool) and isinstance(v, bool)
    if isinstance(default, (int, float)):
        return isinstance(v, (int, float))
    return type(default) is type(v) or default is None


def _merge(base: dict, over: dict, where: str, lines: dict[str, int], prefix: str = "") -> None:
    for k, v in over.items():
        key = f"{prefix}{k}"
        line = lines.get(key, 1)
        if k not in base:
            known = ", ".join(sorted(base))
            raise AssumptionError(f"{where}:{line}: unknown key {key!r} (the keys here are: {known})")
        if isinstance(base[k], dict):
            if not isinstance(v, dict):
                raise AssumptionError(f"{where}:{line}: {key} must be a mapping, not {_kind(v)}")
            _merge(base[k], v, where, lines, key + ".")
        else:
            if not _same_kind(base[k], v):
                raise AssumptionError(f"{where}:{line}: {key} must be {_kind(base[k])}, not {_kind(v)} ({v!r})")
            base[k] = v


def _check(values: dict, where: str, lines: dict[str, int]) -> None:
    def bad(key, msg):
        raise AssumptionError(f"{where}:{lines.get(key, 1)}: {key}: {msg}")
    a = values["significance"]
    if not 0 < a < 1:
        bad("significance", f"{a} must lie strictly between 0 and 1 (e.g. 0.05)")
    for k, v in values["uncertainty"].items():
        if k != "rounding" and not (0 <= v <= 1000):
            bad(f"uncertainty.{k}", f"{v} must be a percentage between 0 and 1000")
    b = values["balance"]
    if b["closure"] not in ("closed", "open"):
        bad("balance.closure", f"{b['closure']!r} must be closed or open")
    if b["undated_flows"] not in ("unmeasured", "ignore"):
        bad("balance.undated_flows", f"{b['undated_flows']!r} must be unmeasured or ignore")
    for key in ("open", "closed"):
        for n in b[key]:
            if not (isinstance(n, str) and n.startswith("country/")):
                bad(f"balance.{key}", f"{n!r} must be a node written country/XX")
    if not 0 < b["single_element_share"] <= 100:
        bad("balance.single_element_share", "must be a percentage above 0 and at most 100")
    c = values["content"]
    if c["coverage"] <= 0:
        bad("content.coverage", "must be above 0 (e.g. 2)")
    for i, cf in enumerate(c["concentration_factors"]):
        if not isinstance(cf, dict) or not {"ore", "concentrate"} <= set(cf) or set(cf) - {"ore", "concentrate", "min", "max", "note"}:
            bad("content.concentration_factors", f"entry {i + 1} must have ore, concentrate, and min/max (and may have note)")
        lo, hi = cf.get("min"), cf.get("max")
        for v in (lo, hi):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0):
                bad("content.concentration_factors", f"entry {i + 1}: min and max must be numbers above 0 or empty")
        if lo is not None and hi is not None and lo > hi:
            bad("content.concentration_factors", f"entry {i + 1}: min {lo} is above max {hi} (swap them)")
    r = c["recovery"]
    if not (0 < r["min"] <= r["max"] <= 100):
        bad("content.recovery", "min and max must be percentages with 0 < min <= max <= 100")
    m = values["mirror"]
    if not 0 <= m["cif_fob"] < 100:
        bad("mirror.cif_fob", "must be a percentage from 0 to below 100")
    if not 0 < m["tolerance"] < 100:
        bad("mirror.tolerance", "must be a percentage above 0 and below 100")


def load(path: str | Path | None = None, overrides: list[str] | None = None) -> Assumptions:
    """The defaults, replaced key by key by `path` (if given) and then by `key=value` overrides."""
    values, lines = _load(DEFAULTS)
    where = str(DEFAULTS)
    if path is not None:
        over, olines = _load(Path(path))
        values = copy.deepcopy(values)
        _merge(values, over, str(path), olines)
        where, lines = str(path), olines
    for item in overrides or []:
        if "=" not in item:
            raise AssumptionError(f"--set {item!r}: write key=value, e.g. --set uncertainty.stated=3")
        key, raw = item.split("=", 1)
        try:
            v = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise AssumptionError(f"--set {item!r}: {raw!r} is not a value (write a number, true/false or text)") from None
        over: dict = {}
        cur = over
        parts = key.strip().split(".")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = v
        _merge(values, over, f"--set {key}", {})
    _check(values, where if not overrides else f"{where} with --set", lines if not overrides else lines)
    src = where + "".join(f" --set {o}" for o in overrides or [])
    return Assumptions(values, src)
