"""Reconciled material balances: weighted least squares under balance constraints, with the graph's figures as input."""
