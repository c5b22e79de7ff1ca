"""Sub-commands contributed by the later stages of the data path.

Each module named in `MODULES` may define `register(sub) -> {command: handler}`; a handler
takes `(args, settings)` and returns the exit code (0 ok, 1 findings, 2 unusable input).
"""

from __future__ import annotations

import importlib

MODULES = ("validate", "serve", "publish", "importers", "bench", "app_launcher", "iris", "reconcile")


def register(sub) -> dict:
    handlers: dict = {}
    for name in MODULES:
        try:
            mod = importlib.import_module(f"oretrace.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"oretrace.{name}":
                continue  # stage not present in this checkout
            raise
        if hasattr(mod, "register"):
            handlers.update(mod.register(sub))
    return handlers
