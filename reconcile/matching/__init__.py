"""Matching: references, names, blocking, scoring, assignment. Pure functions, no I/O."""
