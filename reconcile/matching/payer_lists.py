"""What the rules and people said of payers: aliases (a payer that pays for a client) and pairs never to
match, applied to the candidate pairs of the matching core. Pure polars; Python reads only the few distinct
names that may hold a listed key.

Column contract (as reconcile.matching.payers; names compared by reconcile.matching.names.payer_key):
    never     payer_kind ("iban" or "name"), payer (the compact IBAN or the name's payer_key), client_iri;
              reconcile.store.learned.LearnedPayers.never_frame(), or None

    with_aliases          -> learned, with the rules' alias IBANs
    alias_names           -> options (payer, client_iri, client_name), `payer` the client's name for an alias
    never_pairs           -> LISTED_SCHEMA: the pairs of the rules and of the store never to match
    without_never_matched -> (pairs, leads) less those never to match
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl

from reconcile.matching.names import KEY_FILLER_WORDS, payer_key
from reconcile.matching.payers import NOTHING_LEARNED, compact

if TYPE_CHECKING:  # the rules import the signals, which import reconcile.matching.payers: no cycle at run time
    from reconcile.rules import NeverMatch, PayerAlias

# Working columns, never returned.
_KEY, _PAYER_KEY, _CLIENT_KEY, _LISTED = "_lists_key", "_lists_payer_key", "_lists_client_key", "_lists_listed"

# The kinds of payer a never-match pair names, as reconcile.store.learned writes them.
BY_IBAN, BY_NAME = "iban", "name"
# Payer and client pairs the rules or people listed: the payer by kind, the client by IRI or by name's key.
LISTED_SCHEMA = {
    "payer_kind": pl.String,
    "payer": pl.String,
    "client_iri": pl.String,
    "client_key": pl.String,
}



def _keys_among(names: pl.Series, keys: Collection[str]) -> pl.DataFrame:
    """(name, key): the distinct `names` whose payer_key is one of `keys`.

    payer_key runs in Python, so only on the names that can have such a key. An ASCII name's key is its
    upper-cased words (digits apart from letters, leading zeros dropped) less some legal-form and connector
    words (names.KEY_FILLER_WORDS): so its other words, sorted, are the key's other words (_core), and the
    longest of those is in the name, whatever its case (a cheap first test). A name beyond ASCII is folded
    in Python alone ("Łódź" is "LODZ"): an approximation here could miss it.
    """
    wanted = set(keys)
    schema = {"name": pl.String, "key": pl.String}
    if not wanted:
        return pl.DataFrame(schema=schema)
    cores = {" ".join(sorted(w for w in key.split() if w not in KEY_FILLER_WORDS)) for key in wanted}
    name = pl.col("name")
    beyond_ascii = name.str.len_bytes() != name.str.len_chars()
    longest = sorted({max(core.split(), key=len) for core in cores if core})
    holds_a_word = (
        pl.lit(True) if "" in cores else name.str.contains_any(longest, ascii_case_insensitive=True)
    )
    maybe = (
        names.cast(pl.String)
        .alias("name")
        .drop_nulls()
        .unique()
        .to_frame()
        .filter(beyond_ascii | holds_a_word)
        .filter(beyond_ascii | _core(name).is_in(sorted(cores)))
    )
    found = [(n, key) for n in maybe["name"].to_list() if (key := payer_key(n)) in wanted]
    return pl.DataFrame(found, schema=schema, orient="row")


_FILLER = r"\b(?:" + "|".join(sorted(KEY_FILLER_WORDS, key=len, reverse=True)) + r")\b"


def _core(ascii_name: pl.Expr) -> pl.Expr:
    """An ASCII name's words as payer_key cuts them (names._words), less every word it may drop, sorted."""
    upper = ascii_name.str.to_uppercase().str.replace_all(r"[^0-9A-Z]+", " ")
    apart = upper.str.replace_all(r"([A-Z])([0-9])", "${1} ${2}").str.replace_all(
        r"([0-9])([A-Z])", "${1} ${2}"
    )
    kept = apart.str.replace_all(_FILLER, " ").str.replace_all(r"\b0+([0-9])", "${1}")
    return kept.str.replace_all(" +", " ").str.strip_chars().str.split(" ").list.sort().list.join(" ")


def _listed(table: pl.DataFrame, listed: pl.DataFrame) -> pl.Series:
    """Whether each row's payer and client are a pair `listed` names (LISTED_SCHEMA), in the rows' order.

    `table` has payer, payer_iban, client_iri, client_name. A payer is listed by its IBAN or by its name's
    payer_key, a client by its IRI or by its name's payer_key.
    """
    names = listed.filter(pl.col("payer_kind") == BY_NAME)["payer"]
    payer_keys = _keys_among(table["payer"], names).rename({"name": "payer", "key": _PAYER_KEY})
    client_keys = _keys_among(table["client_name"], listed["client_key"].drop_nulls())
    text = [pl.col(c).cast(pl.String) for c in ("payer", "client_iri", "client_name", "payer_iban")]
    keyed = (
        table.select(*text)
        .select("payer", "client_iri", "client_name", compact("payer_iban").alias(_KEY))
        .join(payer_keys, on="payer", how="left", maintain_order="left")
        .join(client_keys.rename({"name": "client_name", "key": _CLIENT_KEY}), on="client_name", how="left",
              maintain_order="left")
    )  # fmt: skip
    flags = []
    for kind, payer in ((BY_IBAN, _KEY), (BY_NAME, _PAYER_KEY)):
        for client, column in (("client_iri", "client_iri"), ("client_key", _CLIENT_KEY)):
            flag = f"{_LISTED}_{kind}_{client}"
            pairs = (
                listed.filter(pl.col("payer_kind") == kind, pl.col(client).is_not_null())
                .select(pl.col("payer").alias(payer), pl.col(client).alias(column), pl.lit(True).alias(flag))
                .unique()
            )
            keyed = keyed.join(pairs, on=[payer, column], how="left", maintain_order="left")
            flags.append(flag)
    return keyed.select(pl.any_horizontal(flags).fill_null(False).alias(_LISTED)).to_series()


def _listed_by_rules(entries: Sequence[PayerAlias | NeverMatch]) -> pl.DataFrame:
    """Entries of the rules as LISTED_SCHEMA rows: one per payer they name (an alias may name a name and an
    IBAN)."""
    rows = []
    for entry in entries:
        client = (entry.client_iri, None if entry.client_iri else payer_key(entry.client))
        if entry.iban:
            rows.append((BY_IBAN, entry.iban, *client))
        if entry.payer:
            rows.append((BY_NAME, payer_key(entry.payer), *client))
    return pl.DataFrame(rows, schema=LISTED_SCHEMA, orient="row")


def with_aliases(
    learned: pl.DataFrame | None, aliases: Sequence[PayerAlias], books: pl.DataFrame
) -> pl.DataFrame | None:
    """The learned payers and the IBANs the rules' aliases give a client, as if each had paid for it once
    (an IBAN learned for that client already keeps its count). `clients` is counted again: an alias IBAN
    that also paid for other clients is shared, as a learned one would be. A client given by name is every
    client of `books` whose name has that payer_key."""
    listed = _listed_by_rules([alias for alias in aliases if alias.iban]).filter(
        pl.col("payer_kind") == BY_IBAN
    )
    if listed.is_empty():
        return learned
    clients = books.select(pl.col("client_iri", "client_name").cast(pl.String)).drop_nulls().unique()
    clients = clients.rename({"client_name": "name"})
    named = clients.join(_keys_among(clients["name"], listed["client_key"].drop_nulls()), on="name")
    by_name = (
        listed.filter(pl.col("client_iri").is_null())
        .drop("client_iri")
        .join(named.select("client_iri", pl.col("key").alias("client_key")), on="client_key")
    )
    given = pl.concat([listed.drop_nulls("client_iri"), by_name.select(listed.columns)]).select(
        pl.col("payer").alias("iban"), "client_iri", pl.lit(1, dtype=pl.Int64).alias("count")
    )
    known = (NOTHING_LEARNED if learned is None else learned).select("iban", "client_iri", "count")
    return (
        pl.concat([known, given])
        .group_by("iban", "client_iri")
        .agg(pl.col("count").max())
        .with_columns(pl.len().over("iban").cast(pl.Int64).alias("clients"))
        .sort("iban", "client_iri")
    )


def alias_names(options: pl.DataFrame, aliases: Sequence[PayerAlias]) -> pl.DataFrame:
    """The options whose payer's name the rules call an alias of the option's client, with the client's own
    name as `payer`: the payer comparison then finds the same name. Only `payer` changes."""
    listed = _listed_by_rules([alias for alias in aliases if alias.payer]).filter(
        pl.col("payer_kind") == BY_NAME
    )
    if listed.is_empty() or options.is_empty():
        return options
    alias = pl.col(_LISTED) & pl.col("client_name").is_not_null()
    return (
        options.with_columns(_listed(options, listed))
        .with_columns(pl.when(alias).then(pl.col("client_name")).otherwise(pl.col("payer")).alias("payer"))
        .drop(_LISTED)
    )


def is_alias(
    aliases: tuple[PayerAlias, ...], payer: str | None, client_iri: str | None, client_name: str | None
) -> bool:
    """Whether the rules call this payer's name an alias of this client: alias_names for one pair, for the
    words of an explanation (only ever asked of the pairs a report shows)."""
    if not aliases or not payer:
        return False
    clients = _alias_clients(aliases).get(_cached_key(payer), frozenset())  # client_iri is never "None"
    return f"iri {client_iri}" in clients or f"name {_cached_key(client_name)}" in clients


@lru_cache(maxsize=8)
def _alias_clients(aliases: tuple[PayerAlias, ...]) -> dict[str, frozenset[str]]:
    """Each alias name's payer_key, and the clients it is an alias of ("iri ..." or "name <payer_key>")."""
    clients: dict[str, set[str]] = {}
    for alias in aliases:
        if alias.payer:
            client = f"iri {alias.client_iri}" if alias.client_iri else f"name {payer_key(alias.client)}"
            clients.setdefault(payer_key(alias.payer), set()).add(client)
    return {key: frozenset(found) for key, found in clients.items()}


_cached_key = lru_cache(maxsize=65536)(payer_key)


def never_pairs(entries: Sequence[NeverMatch], stored: pl.DataFrame | None) -> pl.DataFrame:
    """The payer and client pairs never to match (LISTED_SCHEMA): the rules' [[never_match]] entries and
    those people recorded in the store (LearnedPayers.never_frame(), whose clients are IRIs)."""
    tables = [_listed_by_rules(entries)]
    if stored is not None:
        tables.append(
            stored.select(
                "payer_kind", "payer", "client_iri", pl.lit(None, dtype=pl.String).alias("client_key")
            )
        )
    return pl.concat(tables).unique()


def without_never_matched(
    pairs: pl.DataFrame, leads: pl.DataFrame, incoming: pl.DataFrame, books: pl.DataFrame, never: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The candidate pairs (line_id, iri, ...) and the client leads (line_id, client_iri) less those whose
    payer and client `never` lists: such a pair is no option, and no combined payment is built on it."""
    if never.is_empty():
        return pairs, leads
    payers = incoming.select("line_id", "payer", "payer_iban")
    joined = (
        pairs.select("line_id", "iri")
        .join(payers, on="line_id", how="left", maintain_order="left")
        .join(books.select("iri", "client_iri", "client_name"), on="iri", how="left", maintain_order="left")
    )
    led = (
        leads.select("line_id", "client_iri")
        .join(payers, on="line_id", how="left")
        .join(books.select("client_iri", "client_name").unique(), on="client_iri", how="left")
    )
    refused = led.filter(_listed(led, never)).select("line_id", "client_iri")
    return pairs.filter(~_listed(joined, never)), leads.join(
        refused, on=["line_id", "client_iri"], how="anti"
    )
