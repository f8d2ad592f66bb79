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
- a client a payer lead points to (an IBAN learned for the client, the client's virtual account), for a
  line no candidate invoice's open amount equals: nothing names the sets found then, and only the
  payer's account (its learned IBAN, the virtual account) may be strong enough to post one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from reconcile.rules import Rules

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
    exact.

    The search is depth first over the values sorted largest first, and the sets come in the order it meets
    them. A node is one value looked at: taken, stepped over (it exceeds what is left), or the one at which
    a loop stops (the values from it on cannot add up to what is left)."""
    if max_size < max(min_size, 1) or not values:
        return []
    return _Search(values, budget).sets(target, min_size, max_size, limit)


class _Search:
    """The search of subsets_summing_to. It counts every node, as its budget is in nodes, but visits few:
    the values a loop steps over, those equal to what is left and those after which it stops are runs of
    the sorted values, found by bisection; a value that leaves less than the smallest value is one node and
    its loop as many, all stepped over; and a loop for a set's last value, where no value is what is left,
    is counted up to where it stops."""

    def __init__(self, values: Sequence[int], budget: int) -> None:
        self.order = sorted(range(len(values)), key=values.__getitem__, reverse=True)  # ties by index
        self.values = [values[i] for i in self.order]
        # Negated to ascend, for bisection: the values, and the sums of the values from each on.
        self.exceeding = [-value for value in self.values]
        self.short = [-rest for rest in accumulate(reversed(self.values))][::-1]
        self.amounts = set(self.values)
        self.budget = budget
        self.found: list[tuple[int, ...]] = []

    def sets(self, target: int, min_size: int, max_size: int, limit: int) -> list[tuple[int, ...]]:
        """Run the loop over values[start:] for what is `left`, then the loop after each value taken in
        it, in turn. Per value taken: its position, what was left before it, and where its loop stops."""
        values, exceeding, short, budget = self.values, self.exceeding, self.short, self.budget
        n, smallest = len(values), values[-1]
        taken: list[int] = []
        lefts: list[int] = []
        ends: list[int] = []
        start, left, nodes = 0, target, 0
        while nodes <= budget:
            size = len(taken) + 1  # of a set a value in this loop completes
            if size == max_size and left not in self.amounts:  # no value completes a set, none can be taken
                end = bisect_right(short, -left, start)
                nodes += end - start + (end < n)
            else:
                if left in self.amounts:
                    under, nodes = self.equal(start, left, taken, nodes, size >= min_size, limit)
                else:
                    under = bisect_left(exceeding, -left, start)  # values[start:under] exceed left
                    nodes += under - start
                end = bisect_right(short, -left, under)  # from `end` on, the values cannot add up to left
                if size < max_size and under < end:
                    live = min(end, bisect_left(exceeding, smallest - left, under))
                    nodes += (live - under) * (2 * n - under - live + 1) // 2  # n - k for each k before live
                    if live < end:  # take it, and run its loop
                        taken.append(live)
                        lefts.append(left)
                        ends.append(end)
                        start, left, nodes = live + 1, left - values[live], nodes + 1
                        continue
                else:
                    nodes += end - under
                nodes += end < n
            while taken:  # on to the next value of the innermost loop with one left
                k = taken[-1] + 1
                if k < ends[-1]:
                    taken[-1] = k
                    start, left, nodes = k + 1, lefts[-1] - values[k], nodes + 1
                    break
                nodes += ends.pop() < n
                taken.pop()
                lefts.pop()
            else:
                break
        return self.found

    def equal(
        self, start: int, left: int, taken: list[int], nodes: int, completes: bool, limit: int
    ) -> tuple[int, int]:
        """Count the values from `start` that exceed `left` or equal it: where they end, and the nodes
        after them. Each equal one completes a set (if `completes`) within the budget; once `limit` sets
        are found, the count is past the budget, which ends the search."""
        fits = bisect_left(self.exceeding, -left, start)
        under = bisect_right(self.exceeding, -left, fits)
        nodes += fits - start
        if completes:
            for k in range(fits, min(under, fits + self.budget - nodes)):
                self.found.append(tuple(sorted([self.order[j] for j in (*taken, k)])))
                if len(self.found) == limit:
                    return under, self.budget + 1
        return under, nodes + under - fits


def combined_options(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """(line_id, option, iri): the invoices of each set found, the option named by its invoices' IRIs.

    `pairs` are the candidate pairs (line_id, iri, ref_kind); `leads` are (line_id, client_iri) a payer
    points to; `books` has iri, client_iri, invoice_currency, open_units, issue_date.

    Per group, the sets are the named invoices with one or two of the others (found by joins over the
    whole batch) or, where none of those fits, with more of them (a bounded search in Python, only in the
    groups where more could fit). At most MAX_SETS per group, the smallest first.
    """
    groups = _groups(incoming, books, pairs, leads, rules).with_row_index("group")
    room = groups.select(
        "group",
        "remainder",
        # How many of the others a set may add, and must: a set has at least two invoices in all.
        (rules.combined_max_invoices - pl.col("named").list.len()).alias("room"),
        pl.when(pl.col("named").list.len() > 0).then(1).otherwise(2).alias("least"),
    )
    items = (
        groups.select("group", "remainder", "iri", "open_units", pl.int_ranges(pl.col("iri").list.len()).alias("k"))
        .explode("iri", "open_units", "k")  # k: the invoice's place in its group
        .drop_nulls("iri")
    )
    found = _small_sets(items, room)
    searched = (
        groups.filter(pl.col("remainder") > 0)
        .join(found.select("group").unique(), on="group", how="anti")
        .join(room.drop("remainder", "least"), on="group")
    )
    iri = books.schema["iri"]  # text, or the core's row numbers
    larger = _larger_sets(searched, _SMALL_SIZES + 1, iri)
    whole = groups.filter(pl.col("remainder") == 0).select("group", pl.lit([], dtype=pl.List(iri)).alias("added"))
    sets = (
        pl.concat([whole, found, larger])
        .join(groups.select("group", "line_id", "named"), on="group")
        .sort("group", pl.col("added").list.len(), pl.col("added").list.eval(pl.element().cast(pl.String)).list.join(" "))
        .group_by("group", maintain_order=True)
        .head(MAX_SETS)
        .select("line_id", pl.concat_list("named", "added").list.eval(pl.element().sort()).alias("iri"))
        .with_columns(pl.col("iri").list.eval(pl.element().cast(pl.String)).list.join("+").alias("option"))
        .explode("iri")
    )
    return sets.select("line_id", "option", "iri")


# How many of the other invoices joins add to the named ones; more are searched for in Python.
_SMALL_SIZES = 2


def _small_sets(items: pl.DataFrame, room: pl.DataFrame) -> pl.DataFrame:
    """(group, added): one or two of a group's other invoices (`items`: group, remainder, k, iri,
    open_units) whose open amounts add up to exactly the group's remainder, where the group has room. A
    pair is found by an equi-join on the amount its first invoice leaves, never by pairing all of them."""
    one = items.filter(pl.col("open_units") == pl.col("remainder")).select(
        "group", pl.concat_list("iri").alias("added")
    )
    completing = items.select("group", pl.col("open_units").alias("need"), pl.col("k").alias("k_b"),
                              pl.col("iri").alias("iri_b"))  # fmt: skip
    two = (
        items.with_columns((pl.col("remainder") - pl.col("open_units")).alias("need"))
        .join(completing, on=["group", "need"])
        .filter(pl.col("k") < pl.col("k_b"))
        .select("group", pl.concat_list("iri", "iri_b").alias("added"))
    )
    size = pl.col("added").list.len()
    return (
        pl.concat([one, two])
        .join(room.select("group", "room", "least"), on="group")
        .filter(size >= pl.col("least"), size <= pl.col("room"))
        .select("group", "added")
    )


def _larger_sets(groups: pl.DataFrame, least: int, iri: pl.DataType) -> pl.DataFrame:
    """(group, added): sets of `least` or more of a group's other invoices adding up to its remainder, by a
    bounded search (subsets_summing_to), only in the groups where that many could: with room for them, as
    many invoices whose smallest amounts together are not above the remainder, and whose largest that fit
    in the room are not below it."""
    units = pl.col("open_units").list.eval(pl.element().sort())
    worth = groups.filter(
        pl.col("room") >= least,
        pl.col("open_units").list.len() >= least,
        units.list.head(least).list.sum() <= pl.col("remainder"),
        units.list.tail(pl.col("room")).list.sum() >= pl.col("remainder"),
    )
    rows = [
        (group, [iris[i] for i in subset])
        for group, remainder, room, iris, amounts in worth.select(
            "group", "remainder", "room", "iri", "open_units"
        ).iter_rows()
        for subset in subsets_summing_to(amounts, remainder, max_size=room, min_size=least)
    ]
    return pl.DataFrame(rows, schema={"group": pl.UInt32, "added": pl.List(iri)}, orient="row")


def _groups(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """One row per (line, client) worth a search: the invoices the title names, the rest of the line they
    leave (the target of the search), and the client's other open invoices in the line's currency that fit
    in it (the newest first, capped). A group none of whose invoices could fill the rest is dropped here,
    before any Python."""
    lines = incoming.select("line_id", "line_currency", "line_units")
    owners = _accounts(books)
    named = pairs.filter(pl.col("ref_kind").is_not_null()).select("line_id", "iri").unique()
    named_sets = _named_sets(named, owners, lines, rules)
    searched = pl.concat([named_sets, _led(leads, pairs, named_sets, owners, lines)])
    return (
        searched.join(_others(searched, named, owners, rules), on=["line_id", "account"], how="left")
        .filter((pl.col("remainder") == 0) | pl.col("iri").is_not_null())
        .select("line_id", "named", "remainder", "iri", "open_units")
    )


def _accounts(books: pl.DataFrame) -> pl.DataFrame:
    """The open invoices of known clients, each with its `account`: one number per client and currency (the
    least iri among its invoices), so that a client's invoices in a line's currency are one integer join
    away, not a join on the client's text and a filter on the currency."""
    return books.select("iri", "client_iri", "invoice_currency", "open_units", "issue_date").filter(
        pl.col("client_iri").is_not_null(), pl.col("open_units") > 0
    ).with_columns(pl.col("iri").min().over("client_iri", "invoice_currency").alias("account"))


def _named_sets(named: pl.DataFrame, owners: pl.DataFrame, lines: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line_id, account, named, remainder): per line and client, the invoices in the line's currency the
    title names, where they leave a rest of the line to fill, or are several that pay it exactly. Most lines
    name one invoice: theirs are kept or not row by row, and only the others are grouped."""
    rows = (
        named.join(owners.select("iri", "account", "invoice_currency", "open_units"), on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("invoice_currency") == pl.col("line_currency"))
        .with_columns((pl.col("line_units") - pl.col("open_units")).alias("remainder"))
    )
    several = rows.select(pl.col("line_id").is_duplicated()).to_series()
    # One named invoice the line pays, or pays part of, is that invoice's payment: no combined one.
    alone = rows.filter(~several, pl.col("remainder") > 0).select(
        "line_id", "account", pl.concat_list("iri").alias("named"), "remainder"
    )
    grouped = (
        rows.filter(several)
        .group_by("line_id", "account")
        .agg(
            pl.col("iri").alias("named"),
            (pl.col("line_units").first() - pl.col("open_units").sum()).alias("remainder"),
        )
        .filter((pl.col("named").list.len() >= 2) | (pl.col("remainder") > 0))
        .filter(pl.col("remainder") >= 0, pl.col("named").list.len() <= rules.combined_max_invoices)
        .with_columns(pl.col("named").list.eval(pl.element().sort()))  # list.sort is slower per list
    )
    return pl.concat([alone, grouped])


def _led(
    leads: pl.DataFrame, pairs: pl.DataFrame, named_sets: pl.DataFrame, owners: pl.DataFrame, lines: pl.DataFrame
) -> pl.DataFrame:
    """(line_id, account, named, remainder): the clients payer leads point to, for lines no candidate
    invoice's open amount equals and where the title names none of the client's invoices: nothing named,
    the whole line to fill (a client without open invoices in the line's currency has no account)."""
    exact = (
        pairs.join(leads, on="line_id", how="semi")
        .select("line_id", "iri")
        .join(owners.select("iri", "invoice_currency", "open_units"), on="iri")
        .join(lines, on="line_id")
        .filter(pl.col("open_units") == pl.col("line_units"), pl.col("invoice_currency") == pl.col("line_currency"))
        .select("line_id")
        .unique()
    )
    accounts = (
        owners.join(leads, on="client_iri", how="semi")
        .select("client_iri", pl.col("invoice_currency").alias("line_currency"), "account")
        .unique()
    )
    return (
        leads.select("line_id", "client_iri")
        .join(exact, on="line_id", how="anti")
        .join(lines, on="line_id")
        .join(accounts, on=["client_iri", "line_currency"], how="left")
        .join(named_sets, on=["line_id", "account"], how="anti")
        .select("line_id", "account", pl.lit([], dtype=pl.List(owners.schema["iri"])).alias("named"),
                pl.col("line_units").alias("remainder"))
    )  # fmt: skip


def _others(searched: pl.DataFrame, named: pl.DataFrame, owners: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line_id, account, iri, open_units): per group with a rest to fill, the client's other open invoices
    in the line's currency that fit in it, the newest first (then by iri), at most
    `combined_search_invoices`. Two sorts on one column each, as a group keeps the order of its rows, cost
    less than one on the group's columns as well."""
    cap = rules.combined_search_invoices
    filled = searched.filter(pl.col("remainder") > 0).select("line_id", "account", "remainder")
    return (
        filled.join(owners.select("account", "iri", "open_units", "issue_date"), on="account")
        .filter(pl.col("open_units") <= pl.col("remainder"))
        .join(named.join(filled, on="line_id", how="semi"), on=["line_id", "iri"], how="anti")
        .sort("iri")
        .sort("issue_date", descending=True, nulls_last=True, maintain_order=True)
        .group_by("line_id", "account")
        .agg(pl.col("iri").head(cap), pl.col("open_units").head(cap))
    )
