"""The parts of a reconciliation run, in the order they run (a module of its own, so that the CLI can
name them without importing numpy and scipy)."""

PARTS = ("balance", "content", "mirror")
