"""Matching: references, names, signals, and the columnar core that decides. Pure functions, no I/O."""

from reconcile.matching.tables import match_tables

__all__ = ["match_tables"]
