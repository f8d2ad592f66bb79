"""Combined payments: one bank line that pays several invoices of one client in full.

A payer who settles three invoices with one transfer writes their numbers in the title (or some of them, or
none), and the amount is the sum of their open amounts. `combined_options` finds, for the lines that could be
such a payment, the sets of one client's open invoices whose open amounts add up exactly to the line: a
bounded subset sum, in Python, but only over the few small groups that joins leave (one line and one client,
a few dozen invoices at most). Each set becomes one option, scored by the same rules as a single invoice
(reconcile.matching.tables): its open amount is the sum, its reference the weakest of its invoices' (none
unless the title names them all).

Which lines and clients are searched:
- a client whose invoices the title names, when those named invoices leave something of the line unpaid
  (a line that pays less than what it names is a part payment, not a combined one);
- a client a payer lead points to (the payer's name is the client's), for a line no invoice's open amount
  equals: then the sets found can only be suggestions, since nothing names them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from reconcile.rules import Rules

SET_SCHEMA = {"line_id": pl.String, "option": pl.String, "iri": pl.String}
# Nodes of the subset-sum search per line and client: enough for a few dozen invoices with pruning, a bound
# on the worst case (many equal amounts).
SEARCH_BUDGET = 20_000
# Sets kept per line and client: enough to see that a payment is ambiguous.
MAX_SETS = 4


def subsets_summing_to(
    values: Sequence[int], target: int, *, max_size: int, limit: int = MAX_SETS, budget: int = SEARCH_BUDGET
) -> list[tuple[int, ...]]:
    """Index sets (2 to `max_size` items) of positive `values` that add up to exactly `target`, at most
    `limit` of them, searching at most `budget` nodes. Values are integers (minor units): sums are exact."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ordered = [values[i] for i in order]
    rest = [0] * (len(ordered) + 1)  # rest[k]: the sum of ordered[k:], to prune a branch that cannot reach
    for k in range(len(ordered) - 1, -1, -1):
        rest[k] = rest[k + 1] + ordered[k]
    found: list[tuple[int, ...]] = []
    nodes = 0

    def search(start: int, remaining: int, chosen: list[int]) -> Iterator[tuple[int, ...]]:
        nonlocal nodes
        for k in range(start, len(ordered)):
            nodes += 1
            if nodes > budget or rest[k] < remaining:
                return
            value = ordered[k]
            if value > remaining:
                continue
            if value == remaining:
                if len(chosen) >= 1:
                    yield tuple(sorted(order[j] for j in (*chosen, k)))
                continue
            if len(chosen) + 1 < max_size:
                yield from search(k + 1, remaining - value, [*chosen, k])

    for subset in search(0, target, []):
        found.append(subset)
        if len(found) >= limit:
            break
    return found


def combined_options(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """(line_id, option, iri): the invoices of each set found, the option named by its invoices' IRIs.

    `pairs` are the candidate pairs (line_id, iri, ref_kind); `leads` are (line_id, client_iri) a payer
    points to; `books` has iri, client_iri, invoice_currency, open_units, issue_date.
    """
    groups = _groups(incoming, books, pairs, leads, rules)
    if groups.is_empty():
        return pl.DataFrame(schema=SET_SCHEMA)
    rows: dict[str, list[str]] = {"line_id": [], "option": [], "iri": []}
    for line_id, target, iris, units, named in groups.iter_rows():
        for members in _sets(target, iris, units, named, rules.combined_max_invoices):
            option = "+".join(members)
            for iri in members:
                rows["line_id"].append(line_id)
                rows["option"].append(option)
                rows["iri"].append(iri)
    return pl.DataFrame(rows, schema=SET_SCHEMA)


def _sets(
    target: int, iris: list[str], units: list[int], named: list[bool], max_size: int
) -> list[tuple[str, ...]]:
    """The sets of one group, those the title names all of first: when the named invoices add up to the
    line, that set is what the payer said, and no other is looked for."""
    named_sum = sum(u for u, n in zip(units, named, strict=True) if n)
    if named_sum == target and sum(named) >= 2:
        return [tuple(sorted(i for i, n in zip(iris, named, strict=True) if n))]
    found = subsets_summing_to(units, target, max_size=max_size)
    found.sort(key=lambda s: (-sum(named[i] for i in s), len(s)))
    return [tuple(sorted(iris[i] for i in s)) for s in found]


def _groups(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """One row per (line, client) worth a search: target units, and the client's open invoices in the
    line's currency below the line's amount (those named first, then the newest), capped."""
    lines = incoming.select("line_id", "line_currency", "line_units")
    named = pairs.filter(pl.col("ref_kind").is_not_null()).select("line_id", "iri").unique()
    owners = books.select("iri", "client_iri", "invoice_currency", "open_units", "issue_date").filter(
        pl.col("client_iri").is_not_null(), pl.col("open_units") > 0
    )
    named_clients = (
        named.join(owners, on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("invoice_currency") == pl.col("line_currency"))
        .group_by("line_id", "client_iri")
        .agg(pl.col("open_units").sum().alias("named_units"), pl.len().alias("count"), pl.col("line_units").first())
        # A line that names one invoice and pays it, or less, is that invoice's payment or a part of it.
        .filter((pl.col("count") >= 2) | (pl.col("named_units") < pl.col("line_units")))
        .select("line_id", "client_iri")
    )
    exact = (
        pairs.join(owners.select("iri", "invoice_currency", "open_units"), on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("open_units") == pl.col("line_units"), pl.col("invoice_currency") == pl.col("line_currency"))
        .select("line_id")
        .unique()
    )
    led = leads.select("line_id", "client_iri").join(exact, on="line_id", how="anti")
    searched = pl.concat([named_clients, led]).unique()
    pool = (
        searched.join(lines, on="line_id")
        .join(owners, on="client_iri")
        .filter(
            pl.col("invoice_currency") == pl.col("line_currency"), pl.col("open_units") < pl.col("line_units")
        )
        .join(named.with_columns(pl.lit(True).alias("named")), on=["line_id", "iri"], how="left")
        .with_columns(pl.col("named").fill_null(False))
        .sort(
            ["line_id", "client_iri", "named", "issue_date", "iri"],
            descending=[False, False, True, True, False],
            nulls_last=True,
        )
    )
    return (
        pool.group_by("line_id", "client_iri", maintain_order=True)
        .agg(
            pl.col("line_units").first().alias("target"),
            pl.col("iri").head(rules.combined_search_invoices),
            pl.col("open_units").head(rules.combined_search_invoices),
            pl.col("named").head(rules.combined_search_invoices),
        )
        .filter(pl.col("iri").list.len() >= 2)
        .select("line_id", "target", "iri", "open_units", "named")
    )
