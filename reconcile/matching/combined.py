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

How, at a million lines: ids are row numbers, so a line's or an invoice's columns are gathered, not joined;
a client's invoices are one integer join away (a hash of the client's id, the id's text then compared on the
rows found). One or two invoices that complete a line are found by joins; three or more by the search in
Python, only in the groups where some do add up: proved for all groups at once (_may_add_up, numpy), as
most groups have none.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from reconcile.matching.options import pair_number

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

    `pairs` are the candidate pairs (line_id, iri, ref_kind), each once; `leads` are (line_id, client_iri) a
    payer points to; `books` has iri, client_iri, invoice_currency, open_units, issue_date. Ids are the
    core's row numbers.

    Per group, the sets are the named invoices with one or two of the others (found by joins over the
    whole batch) or, where none of those fits, with more of them (a bounded search in Python, only in the
    groups where more add up). At most MAX_SETS per group, the smallest first. The rows come in no
    particular order.
    """
    groups, items = _groups(incoming, books, pairs, leads, rules)
    found = _small_sets(items, groups)
    searched = groups["remainder"].to_numpy() > 0
    searched[found["group"].to_numpy()] = False
    whole = groups.filter(pl.col("remainder") == 0).select(
        "group", pl.lit([], dtype=pl.List(items.schema["iri"])).alias("added")
    )
    return _options(pl.concat([whole, found, _larger_sets(groups, items, searched)]), groups)


# How many of the other invoices joins add to the named ones; more are searched for in Python (only where
# _may_add_up, which proves sets of three and more, finds that some add up).
_SMALL_SIZES = 2


def _small_sets(items: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """(group, added): one or two of a group's other invoices (`items`: group, k, iri, open_units,
    remainder) whose open amounts add up to exactly the group's remainder, where the group has room. A
    pair is found by an equi-join on the amount its first invoice leaves, never by pairing all of them."""
    one = items.filter(pl.col("open_units") == pl.col("remainder")).select(
        "group", pl.concat_list("iri").alias("added")
    )
    completing = items.select("group", pl.col("open_units").alias("need"), pl.col("k").alias("k_b"),
                              pl.col("iri").alias("iri_b"))  # fmt: skip
    two = (
        items.filter(pl.col("open_units") < pl.col("remainder"))
        .with_columns((pl.col("remainder") - pl.col("open_units")).alias("need"))
        .join(completing, on=["group", "need"])
        .filter(pl.col("k") < pl.col("k_b"))
        .select("group", pl.concat_list("iri", "iri_b").alias("added"))
    )
    size = pl.col("added").list.len()
    return pl.concat([one, two]).filter(
        size >= pl.lit(groups["least"]).gather(pl.col("group")),
        size <= pl.lit(groups["room"]).gather(pl.col("group")),
    )


def _larger_sets(groups: pl.DataFrame, items: pl.DataFrame, searched: np.ndarray) -> pl.DataFrame:
    """(group, added): sets of three or more of a group's other invoices adding up to its remainder, by a
    bounded search (subsets_summing_to), only in the `searched` groups where that many add up: with room
    for them, as many invoices whose smallest amounts together are not above the remainder, whose largest
    that fit in the room are not below it, and some of which add up to it exactly (_may_add_up)."""
    least = _SMALL_SIZES + 1
    iri = items.schema["iri"]
    group = items["group"].to_numpy()
    counts, rooms, targets = (
        np.bincount(group, minlength=groups.height),
        groups["room"].to_numpy().astype(np.int64),
        groups["remainder"].to_numpy(),
    )
    asked = np.flatnonzero(searched & (rooms >= least) & (counts >= least))
    pooled = np.zeros(groups.height, dtype=bool)
    pooled[asked] = True
    pooled = pooled[group]
    counts, rooms, targets = counts[asked], rooms[asked], targets[asked]
    # The pool in runs per group, as `items` has them (the search's order), and largest first.
    amounts = items["open_units"].to_numpy()[pooled]
    values = amounts[np.lexsort((-amounts, group[pooled]))]
    ends = np.cumsum(counts)
    starts = ends - counts
    sums = np.concatenate(([0], np.cumsum(values)))
    fitting = np.minimum(rooms, counts)
    worth = (sums[ends] - sums[ends - least] <= targets) & (sums[starts + fitting] - sums[starts] >= targets)
    worth &= _may_add_up(values, counts, targets, rooms, worth)
    iris = items["iri"].filter(pl.Series(pooled))
    found: list[tuple[int, list[object]]] = []
    for g in np.flatnonzero(worth).tolist():
        start, end = int(starts[g]), int(ends[g])
        subsets = subsets_summing_to(
            amounts[start:end].tolist(), int(targets[g]), max_size=int(rooms[g]), min_size=least
        )
        if subsets:
            members = iris.slice(start, end - start).to_list()
            found.extend((int(asked[g]), [members[i] for i in subset]) for subset in subsets)
    return pl.DataFrame(found, schema={"group": pl.UInt32, "added": pl.List(iri)}, orient="row")


def _options(sets: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """(line_id, option, iri) of the sets (group, added) found: per group at most MAX_SETS, the smallest
    first, then by their invoices' IRIs as text; each with the group's named invoices."""
    return (
        sets.sort(
            "group",
            pl.col("added").list.len(),
            pl.col("added").list.eval(pl.element().cast(pl.String)).list.join(" "),
        )
        .group_by("group", maintain_order=True)
        .head(MAX_SETS)
        .select(
            pl.lit(groups["line_id"]).gather(pl.col("group")).alias("line_id"),
            pl.concat_list(pl.lit(groups["named"]).gather(pl.col("group")), "added")
            .list.eval(pl.element().sort())
            .alias("iri"),
        )
        .with_columns(pl.col("iri").list.eval(pl.element().cast(pl.String)).list.join("+").alias("option"))
        .explode("iri")
        .select("line_id", "option", "iri")
    )


def _groups(
    incoming: pl.DataFrame, books: pl.DataFrame, pairs: pl.DataFrame, leads: pl.DataFrame, rules: Rules
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The (line, client) pairs worth a search, and their invoices. `groups`: group, line_id, named (the
    invoices the title names), remainder (the rest of the line they leave: the target of the search), room
    (how many of the others a set may add) and least (how many it must: a set has at least two invoices
    in all). `items`: group, k, iri, open_units, remainder: the client's other open invoices in the line's
    currency that fit in the rest, the newest first (k: the place), capped, in runs per group in its order.
    A group none of whose invoices could fill the rest is dropped here, before any Python."""
    lines = incoming.select("line_id", "line_currency", "line_units").rechunk()  # one chunk: direct gathers
    owners = _owners(books)
    named = pairs.filter(pl.col("ref_kind").is_not_null()).select("line_id", "iri")
    named_sets = _named_sets(named, owners, lines, rules)
    searched = pl.concat([named_sets, _led(leads, pairs, named_sets, owners, lines)], rechunk=True)
    items = _others(searched.with_row_index("group"), named, owners, rules)
    # The groups kept, numbered anew: group g is row g.
    kept = searched["remainder"].to_numpy() == 0
    kept[items["group"].to_numpy()] = True
    number = np.cumsum(kept) - 1
    groups = searched.filter(pl.Series(kept)).select(
        "line_id",
        "named",
        "remainder",
        (rules.combined_max_invoices - pl.col("named").list.len()).alias("room"),
        pl.when(pl.col("named").list.len() > 0).then(1).otherwise(2).alias("least"),
    )
    return groups.with_row_index("group"), items.with_columns(
        pl.Series("group", number[items["group"].to_numpy()], dtype=pl.UInt32)
    )


def _owners(books: pl.DataFrame) -> pl.DataFrame:
    """The open invoices of known clients, with `client`, a hash of the client's id: a client's invoices
    are one integer join away, not a join on text. Two clients may share a hash: what a join on it finds
    is then told apart by the text. In one chunk, as rows are gathered from it by number."""
    return (
        books.select("iri", "client_iri", "invoice_currency", "open_units", "issue_date")
        .filter(pl.col("client_iri").is_not_null(), pl.col("open_units") > 0)
        .with_columns(_client().alias("client"))
        .sort("iri")  # a row's number then orders as its iri does
        .rechunk()
    )


def _client() -> pl.Expr:
    """A number for client_iri: its hash, which two clients may share."""
    return pl.col("client_iri").hash()


def _at(table: pl.DataFrame, column: str, ids: pl.Series) -> np.ndarray:
    """The row of `table` holding each of `ids` in `column` (the core's ids: row numbers, small integers),
    -1 where none does: a gather there then does what a join on the id would, for less."""
    have = table[column].to_numpy()
    wanted = ids.to_numpy()
    size = max(int(have.max(initial=0)), int(wanted.max(initial=0))) + 1
    rows = np.full(size, -1, dtype=np.int64)
    rows[have] = np.arange(len(have))
    return rows[wanted]


def _joined(pairs: pl.DataFrame, owners: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Pairs (line_id, iri) of an incoming line and a known client's open invoice in the line's currency,
    with the invoice's row in `owners` (`owner`), client and open_units, and the line's line_currency and
    line_units."""
    invoice, line = _at(owners, "iri", pairs["iri"]), _at(lines, "line_id", pairs["line_id"])
    kept = (invoice >= 0) & (line >= 0)
    owner = pl.Series("owner", invoice[kept])
    return pl.concat(
        [
            pairs.filter(pl.Series(kept)).with_columns(owner),
            owners.select(pl.col("client", "invoice_currency", "open_units").gather(owner)),
            lines.select(pl.col("line_currency", "line_units").gather(line[kept])),
        ],
        how="horizontal",
    ).filter(pl.col("invoice_currency") == pl.col("line_currency"))


def _named_sets(named: pl.DataFrame, owners: pl.DataFrame, lines: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line_id, client, client_iri, line_currency, named, remainder): per line and client, the invoices in
    the line's currency the title names, where they leave a rest of the line to fill, or are several that
    pay it exactly. Most lines name one invoice: theirs are kept or not row by row, and only the others are
    grouped."""
    rows = _joined(named, owners, lines).with_columns(
        (pl.col("line_units") - pl.col("open_units")).alias("remainder")
    )
    ids = rows["line_id"].to_numpy()
    several = pl.Series(np.bincount(ids)[ids] > 1) if len(ids) else pl.Series([], dtype=pl.Boolean)
    client_iri = pl.lit(owners["client_iri"]).gather(pl.col("owner")).alias("client_iri")
    columns = ["line_id", "client", "client_iri", "line_currency", "named", "remainder"]
    # One named invoice the line pays, or pays part of, is that invoice's payment: no combined one.
    alone = rows.filter(~several, pl.col("remainder") > 0).with_columns(
        client_iri, pl.concat_list("iri").alias("named")
    )
    grouped = (
        rows.filter(several)
        .with_columns(client_iri)
        .group_by("line_id", "client_iri")
        .agg(
            pl.col("client", "line_currency").first(),
            pl.col("iri").alias("named"),
            (pl.col("line_units").first() - pl.col("open_units").sum()).alias("remainder"),
        )
        .filter((pl.col("named").list.len() >= 2) | (pl.col("remainder") > 0))
        .filter(pl.col("remainder") >= 0, pl.col("named").list.len() <= rules.combined_max_invoices)
        .with_columns(pl.col("named").list.eval(pl.element().sort()))  # list.sort is slower per list
    )
    return pl.concat([alone.select(columns), grouped.select(columns)])


def _led(
    leads: pl.DataFrame,
    pairs: pl.DataFrame,
    named_sets: pl.DataFrame,
    owners: pl.DataFrame,
    lines: pl.DataFrame,
) -> pl.DataFrame:
    """(line_id, client, client_iri, line_currency, named, remainder): the clients payer leads point to,
    for lines no candidate invoice's open amount equals and where the title names none of the client's
    invoices: nothing named, the whole line to fill."""
    if leads.is_empty():
        return named_sets.clear()
    exact = (
        _joined(pairs.join(leads, on="line_id", how="semi").select("line_id", "iri"), owners, lines)
        .filter(pl.col("open_units") == pl.col("line_units"))
        .select("line_id")
        .unique()
    )
    return (
        leads.select("line_id", "client_iri")
        .join(exact, on="line_id", how="anti")
        .join(lines, on="line_id")
        .join(named_sets, on=["line_id", "client_iri"], how="anti")
        .select("line_id", _client().alias("client"), "client_iri", "line_currency",
                pl.lit([], dtype=pl.List(owners.schema["iri"])).alias("named"), pl.col("line_units").alias("remainder"))
    )  # fmt: skip


def _others(searched: pl.DataFrame, named: pl.DataFrame, owners: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(group, k, iri, open_units, remainder): per group with a rest to fill, the client's other open
    invoices in the line's currency that fit in it, the newest first (then by iri), at most
    `combined_search_invoices`, in runs per group in its order. The join on the client's hash carries
    numbers only; the rest is gathers at the rows it finds, the text compared on the few that fit."""
    filled = searched.filter(pl.col("remainder") > 0).select("group", "client", "remainder")
    owner_rows = owners.select("client", "open_units", pl.int_range(pl.len(), dtype=pl.UInt32).alias("owner"))
    found = (
        filled.join(owner_rows, on="client")
        .filter(pl.col("open_units") <= pl.col("remainder"))
        .select("group", "owner")
    )
    group, owner = found["group"], found["owner"]
    # The invoices a line's title names are no others.
    pair = pair_number()
    named_pairs = (
        named.filter(pl.col("line_id").is_in(searched["line_id"].implode())).select(pair).to_series()
    )
    found_pairs = pl.select(line_id=searched["line_id"].gather(group), iri=owners["iri"].gather(owner)).select(pair)
    kept = (
        (owners["client_iri"].gather(owner) == searched["client_iri"].gather(group))
        & (owners["invoice_currency"].gather(owner) == searched["line_currency"].gather(group))
        & ~found_pairs.to_series().is_in(named_pairs.implode())
    )
    group, owner = group.filter(kept), owner.filter(kept)
    days = pl.col("issued").cast(pl.Int64)
    age = (days.max() - days).fill_null(days.max() - days.min() + 1).fill_null(0)  # the newest first, none last
    ages = pl.select(issued=owners["issue_date"].gather(owner)).select(age).to_series()
    runs, rows = _sorted_by(group.to_numpy(), ages.to_numpy(), owner.to_numpy())
    place = _places(runs)
    first = place < rules.combined_search_invoices
    runs, rows = runs[first], rows[first]
    return pl.DataFrame(
        {
            "group": pl.Series(runs, dtype=pl.UInt32),
            "k": place[first],
            "iri": owners["iri"].gather(rows),
            "open_units": owners["open_units"].gather(rows),
            "remainder": searched["remainder"].gather(runs),
        }
    )


def _sorted_by(group: np.ndarray, age: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group, owner) ordered by group, age, then owner (non-negative integers): one sort of one integer
    the three make, where it fits in one (unless the batch is huge, or its dates odd: then a sort on three)."""
    low, middle = int(owner.max(initial=0)).bit_length(), int(age.max(initial=0)).bit_length()
    if int(group.max(initial=0)).bit_length() + middle + low <= 63:
        packed = (group.astype(np.int64) << (middle + low)) | (age.astype(np.int64) << low) | owner
        packed.sort()
        return packed >> (middle + low), packed & ((1 << low) - 1)
    order = np.lexsort((owner, age, group))
    return group[order].astype(np.int64), owner[order].astype(np.int64)


def _places(runs: np.ndarray) -> np.ndarray:
    """Each row's place in its run of equal values (0, 1...)."""
    starts = np.flatnonzero(np.diff(runs, prepend=-1))
    return np.arange(len(runs)) - np.repeat(starts, np.diff(np.append(starts, len(runs))))


def _may_add_up(
    values: np.ndarray, counts: np.ndarray, targets: np.ndarray, rooms: np.ndarray, asked: np.ndarray
) -> np.ndarray:
    """Per group (`values` in runs of `counts`, largest first), whether three to `room` of its values may add
    up to its target: False only where none do, proved for the `asked` groups whose sets have at most five
    values (nearly all, and most of them have none), over all groups at once. A set is a head of its two
    or three largest values and a tail of the one or two after them, met in the middle by their sums: no
    subset sum is enumerated past three values, and those only where the values after them can make the rest."""
    maybe = np.ones(len(counts), dtype=bool)
    proved = asked & (rooms <= 5)
    runs = _Runs(values[np.repeat(proved, counts)], counts[proved], targets[proved])
    if not proved.any() or not runs.fits:
        return maybe
    found = np.zeros(int(proved.sum()), dtype=bool)
    rows = np.arange(len(runs.values))
    left = runs.target - runs.values
    _, y, rest = runs.after(rows, left, 1)
    found[runs.group_of(runs.completed(runs.singles(), runs.keys(y, rest)))] = True
    room = np.where(found, 0, rooms[proved])[runs.group]  # groups with a set of three need no more
    _, y, rest = runs.after(rows[room >= 4], left[room >= 4], 2)
    heads = [runs.keys(y, rest)]
    _, y, rest = runs.after(rows[room >= 5], left[room >= 5], 3)
    _, u, rest = runs.after(y, rest, 2)
    heads.append(runs.keys(u, rest))
    heads_keys, heads_places = (np.concatenate(part) for part in zip(*heads, strict=True))
    found[runs.group_of(runs.completed(runs.tail_pairs(room >= 4), (heads_keys, heads_places)))] = True
    maybe[proved] = found
    return maybe


class _Runs:
    """Groups of values in runs, largest first, in flat arrays (a value's row), for _may_add_up. A group's
    numbers are offset by a base of their own: one sorted array then serves every group's bisections, and a
    sum of a group's values, plus its base, is a key no other group's sum has."""

    def __init__(self, values: np.ndarray, counts: np.ndarray, targets: np.ndarray) -> None:
        self.values = values
        self.group = np.repeat(np.arange(len(counts)), counts)
        ends = np.cumsum(counts)
        self.end = ends[self.group]
        self.place = np.arange(len(values)) - (ends - counts)[self.group]
        self.target = targets[self.group]
        self.sums = np.concatenate(([0], np.cumsum(values)))
        largest = values[ends - counts] if len(values) else counts
        span = np.maximum(4 * largest, targets) + 2  # above its target and any sum of four of its values
        self.base = np.cumsum(span) - span
        self.span = span[self.group]
        self.top = self.base[self.group] + self.span - 1  # a group's measures descend as its keys ascend
        self.shift = int(counts.max(initial=1)).bit_length() + 1  # a place and a flag below a key
        self.fits = int(span.sum()) < 2 ** (62 - self.shift)
        self.by_value = self.top - values
        self.by_window = {k: self.top - self.window(k) for k in (2, 3, 4)}  # each descends in its group

    def window(self, k: int) -> np.ndarray:
        """The sum of each value and the k - 1 after it (0 where its group has fewer)."""
        rows = np.arange(len(self.values))
        whole = rows + k <= self.end
        return np.where(whole, self.sums[np.minimum(rows + k, len(self.values))] - self.sums[rows], 0)

    def after(
        self, rows: np.ndarray, left: np.ndarray, rest: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each row taken, with `left` to make of its group's target: the next values that `rest` more
        after them may complete, as (index into rows, next row, what is left after it). A next value leaves
        at least the `rest` smallest of its group, and is the first of `rest` + 1 values that make at least
        what is left (the values descend: both bounds are bisections)."""
        smallest = self.sums[self.end[rows]] - self.sums[self.end[rows] - rest]
        low = np.maximum(rows + 1, self.first_at_most(rows, left - smallest))
        reach = np.clip(left, 0, self.span[rows] - 1)
        high = np.searchsorted(self.by_window[rest + 1], self.top[rows] - reach, "right")
        source, following = _spread(low, high)
        return source, following, left[source] - self.values[following]

    def first_at_most(self, rows: np.ndarray, limit: np.ndarray) -> np.ndarray:
        """The first row of each row's group whose value is at most `limit` (the group's end if none)."""
        return np.searchsorted(
            self.by_value, self.top[rows] - np.clip(limit, -1, self.span[rows] - 1), "left"
        )

    def keys(self, rows: np.ndarray, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A sum of a row's group as a key, with the row's place in its group."""
        return self.base[self.group[rows]] + sums, self.place[rows]

    def singles(self) -> tuple[np.ndarray, np.ndarray]:
        """Each value as the tail of a set of three."""
        return self.keys(np.arange(len(self.values)), self.values)

    def tail_pairs(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two values of a group, by the first's place, from the `wanted` rows: the smallest two of a set of
        four or five, whose two or three largest make the rest. So they add up to at most half the target,
        and leave at least two values as large as the first of them."""
        rows = np.flatnonzero(wanted & (self.place >= 2))
        value, target = self.values[rows], self.target[rows]
        low = np.maximum(rows + 1, self.first_at_most(rows, np.minimum(target // 2 - value, target - 3 * value)))
        source, second = _spread(low, self.end[rows])
        return self.keys(rows[source], self.values[rows[source]] + self.values[second])

    def completed(
        self, tails: tuple[np.ndarray, np.ndarray], heads: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        """The keys some tail completes a head of: a tail of the same key placed after the head's last value.
        The few keys both sides may share (by a sieve of hashed keys) go to one sort of both, by key, then
        place, tails flagged 0 (a tail at a head's place sorts before it). Where a tail follows a head in a
        key, the first such tail comes right after a head: one look at each neighbour finds them."""
        tails, heads = _sieved(tails, heads)
        heads, tails = _sieved(heads, tails)
        packed = np.concatenate(
            [(tails[0] << self.shift) | (tails[1] << 1), (heads[0] << self.shift) | (heads[1] << 1) | 1]
        )
        packed.sort()
        before, after = packed[:-1], packed[1:]
        done = ((before & 1) == 1) & ((after & 1) == 0) & ((before >> self.shift) == (after >> self.shift))
        return after[done] >> self.shift

    def group_of(self, keys: np.ndarray) -> np.ndarray:
        """The group whose base the key is above."""
        return np.searchsorted(self.base, keys, "right") - 1


def _spread(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every i in each range [low, high), as (index of its range, i)."""
    counts = np.maximum(high - low, 0)
    source = np.repeat(np.arange(len(low)), counts)
    return source, low[source] + np.arange(len(source)) - np.repeat(np.cumsum(counts) - counts, counts)


def _sieved(
    sieve: tuple[np.ndarray, np.ndarray], rows: tuple[np.ndarray, np.ndarray]
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """`sieve` as it is, and the `rows` whose key (first array) may be one of its keys: a table of their
    hashes, eight bits for each key of the sieve, lets few others through."""
    bits = max(len(sieve[0]) * 8, 1).bit_length()
    seen = np.zeros(1 << bits, dtype=bool)
    seen[_hashed(sieve[0], bits)] = True
    kept = seen[_hashed(rows[0], bits)]
    return sieve, (rows[0][kept], rows[1][kept])


def _hashed(keys: np.ndarray, bits: int) -> np.ndarray:
    """A multiplicative hash of non-negative keys into `bits` bits."""
    return ((keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)).astype(np.int64)
