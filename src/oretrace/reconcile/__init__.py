"""Reconciled material balances with uncertainty, element content and royalty ranges, and mirror
statistics, computed from the graph's figures (docs/reconciliation.md).

`register` adds the `oretrace reconcile` command; `reconcile_quads(store, iris, settings)` is the
build stage (off by default) that returns the quads of `{base}/graph/reconciled`.
"""

from .command import register


def reconcile_quads(store, iris, settings):
    """The build stage: the quads of {base}/graph/reconciled (run.reconcile_quads, imported when called)."""
    from .run import reconcile_quads as stage

    return stage(store, iris, settings)


__all__ = ["register", "reconcile_quads"]
