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
SEARCH_BUDGET = 2_000
# Sets kept per line and client: enough to see that a payment is ambiguous.
MAX_SETS = 4


def subsets_summing_to(
    values: Sequence[int],
    target: int,
    *,
    max_size: int,
    min_size: int = 2,
    limit: int = MAX_SETS,
    budget: int = SEARCH_BUDGET,
) -> list[tuple[int, ...]]:
    """Index sets (`min_size` to `max_size` items) of positive `values` that add up to exactly `target`, at
    most `limit` of them, searching at most `budget` nodes. Values are integers (minor units): sums are
    exact."""
    if max_size < max(min_size, 1):
        return []
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
                if len(chosen) + 1 >= min_size:
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
    rows: dict[str, list[str]] = {"line_id": [], "option": [], "iri": []}
    for line_id, named, remainder, iris, units in groups.iter_rows():
        for members in _sets(named, remainder, iris, units, rules.combined_max_invoices):
            option = "+".join(members)
            for iri in members:
                rows["line_id"].append(line_id)
                rows["option"].append(option)
                rows["iri"].append(iri)
    return pl.DataFrame(rows, schema=SET_SCHEMA)


def _sets(
    named: list[str], remainder: int, iris: list[str], units: list[int], max_size: int
) -> list[tuple[str, ...]]:
    """The sets of one group: the invoices the title names, and those of the others that pay the rest of
    the line exactly. When the named invoices add up to the line, that set is what the payer said."""
    if remainder == 0:
        return [tuple(sorted(named))]
    found = subsets_summing_to(units, remainder, max_size=max_size - len(named), min_size=1 if named else 2)
    found.sort(key=len)
    return [tuple(sorted([*named, *(iris[i] for i in s)])) for s in found]


def _groups(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """One row per (line, client) worth a search: the invoices the title names, the rest of the line they
    leave (the target of the search), and the client's other open invoices in the line's currency that fit
    in it (the newest first, capped). A group none of whose invoices could fill the rest is dropped here,
    before any Python."""
    lines = incoming.select("line_id", "line_currency", "line_units")
    named = pairs.filter(pl.col("ref_kind").is_not_null()).select("line_id", "iri").unique()
    owners = books.select("iri", "client_iri", "invoice_currency", "open_units", "issue_date").filter(
        pl.col("client_iri").is_not_null(), pl.col("open_units") > 0
    )
    named_sets = (
        named.join(owners, on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("invoice_currency") == pl.col("line_currency"))
        .group_by("line_id", "client_iri")
        .agg(
            pl.col("iri").sort().alias("named"),
            (pl.col("line_units").first() - pl.col("open_units").sum()).alias("remainder"),
        )
        # One named invoice the line pays, or pays part of, is that invoice's payment: no combined one.
        .filter((pl.col("named").list.len() >= 2) | (pl.col("remainder") > 0))
        .filter(pl.col("remainder") >= 0, pl.col("named").list.len() <= rules.combined_max_invoices)
    )
    exact = (
        pairs.join(owners.select("iri", "invoice_currency", "open_units"), on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("open_units") == pl.col("line_units"), pl.col("invoice_currency") == pl.col("line_currency"))
        .select("line_id")
        .unique()
    )
    led = (
        leads.select("line_id", "client_iri")
        .join(exact, on="line_id", how="anti")
        .join(named_sets.select("line_id", "client_iri"), on=["line_id", "client_iri"], how="anti")
        .join(lines, on="line_id")
        .select("line_id", "client_iri", pl.lit([], dtype=pl.List(pl.String)).alias("named"),
                pl.col("line_units").alias("remainder"))
    )
    searched = pl.concat([named_sets, led])
    others = (
        searched.filter(pl.col("remainder") > 0)
        .join(lines, on="line_id")
        .join(owners, on="client_iri")
        .filter(pl.col("invoice_currency") == pl.col("line_currency"), pl.col("open_units") <= pl.col("remainder"))
        .join(named, on=["line_id", "iri"], how="anti")
        .sort(["line_id", "client_iri", "issue_date", "iri"], descending=[False, False, True, False], nulls_last=True)
        .group_by("line_id", "client_iri", maintain_order=True)
        .agg(
            pl.col("iri").head(rules.combined_search_invoices),
            pl.col("open_units").head(rules.combined_search_invoices),
        )
    )
    return (
        searched.join(others, on=["line_id", "client_iri"], how="left")
        .filter((pl.col("remainder") == 0) | pl.col("iri").is_not_null())
        .select("line_id", "named", "remainder", "iri", "open_units")
    )
