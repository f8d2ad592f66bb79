"""Who is paying, from what we learned before: payer IBANs confirmed for a client, and the virtual accounts
that belong to one client. Pure polars joins: no I/O, and never a loop over lines or invoices.

A lead names a client, not an invoice: the core uses it only together with another key (the exact amount)
or to look for a combined payment among that client's open invoices, never to bring in a whole ledger.

Column contract (accounts and IBANs are compared without spaces, in upper case):
    learned   iban, client_iri, count (Int64), clients (Int64: distinct clients the IBAN paid for);
              reconcile.store.learned.LearnedPayers.frame(), or None before anything was learned
    books     iri, client_iri, bank_account (the invoice's: the account its payment should reach)
    incoming  line_id, payer_iban (the payer's, or null), account (ours, that received the money)
    pairs     line_id, iri, client_iri (the invoice's), and payer_iban or account (the line's)

    learned_evidence  -> pairs + iban_level (String, IBAN_LEVELS or null), iban_count (Int64, 0 if none)
    virtual_evidence  -> pairs + virtual_account (Boolean)
    virtual_accounts  -> account, client_iri
    client_leads      -> line_id, client_iri, via ("learned_iban" or "virtual_account")
"""

from __future__ import annotations

import polars as pl

LEARNED, LEARNED_SHARED, LEARNED_OTHER = "learned", "learned_shared", "learned_other"
IBAN_LEVELS = (LEARNED, LEARNED_SHARED, LEARNED_OTHER)
VIA_LEARNED_IBAN, VIA_VIRTUAL_ACCOUNT = "learned_iban", "virtual_account"

_NOTHING_LEARNED = pl.DataFrame(
    schema={"iban": pl.String, "client_iri": pl.String, "count": pl.Int64, "clients": pl.Int64}
)
# Working columns, never returned.
_KEY, _CLIENTS, _KNOWN, _INVOICES = "_payers_key", "_payers_clients", "_payers_known", "_payers_invoices"
_CURRENCY = "_payers_currency"


def _compact(column: str) -> pl.Expr:
    """An account or IBAN without spaces, in upper case (null when nothing is left): what
    reconcile.statements.text.normalise_account does, as an expression; for a valid IBAN, the form
    reconcile.store.learned keeps."""
    compact = pl.col(column).str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.when(compact != "").then(compact)


def learned_evidence(pairs: pl.DataFrame, learned: pl.DataFrame | None) -> pl.DataFrame:
    """Each pair's `iban_level`: "learned" when the payer's IBAN was confirmed for the invoice's client and
    no other; "learned_shared" when confirmed for it but also for other clients (an accountant, a parent
    company: weaker); "learned_other" when it is known only for other clients (evidence against); null when
    the IBAN, or the invoice's client, is unknown. `iban_count` is how often it was confirmed for this client.
    """
    learned = _NOTHING_LEARNED if learned is None else learned
    for_client = learned.select(
        pl.col("iban").alias(_KEY),
        "client_iri",
        pl.col("count").alias("iban_count"),
        pl.col("clients").alias(_CLIENTS),
    )
    known = learned.select(pl.col("iban").alias(_KEY)).unique().with_columns(pl.lit(True).alias(_KNOWN))
    matched = pl.col("iban_count").is_not_null()
    level = (
        pl.when(pl.col(_KEY).is_null() | pl.col("client_iri").is_null())
        .then(None)
        .when(matched & (pl.col(_CLIENTS) == 1))
        .then(pl.lit(LEARNED))
        .when(matched)
        .then(pl.lit(LEARNED_SHARED))
        .when(pl.col(_KNOWN).fill_null(False))
        .then(pl.lit(LEARNED_OTHER))
    )
    return (
        pairs.with_columns(_compact("payer_iban").alias(_KEY))
        .join(for_client, on=[_KEY, "client_iri"], how="left", maintain_order="left")
        .join(known, on=_KEY, how="left", maintain_order="left")
        .select(*pairs.columns, level.alias("iban_level"), pl.col("iban_count").fill_null(0))
    )


def virtual_accounts(books: pl.DataFrame) -> pl.DataFrame:
    """The accounts that identify one client: on the invoices of exactly that client, and not the main one.

    A virtual account is opened for one client, so it can only appear on that client's invoices. The main
    account is the one on the most invoices (of each currency, when the invoices say theirs): it serves every client without a virtual account, and it
    too would appear on one client's invoices only while that client is the only one invoiced there (a
    new company, one big customer), which would make every payment to the company a lead. Accounts tied
    for the most are all taken as main: when that cannot be told apart, no lead is safer than a wrong one.
    An invoice without a client counts as another client.
    """
    currency = pl.col("invoice_currency") if "invoice_currency" in books.columns else pl.lit("")
    per_account = (
        books.select(_compact("bank_account").alias("account"), "client_iri", currency.alias(_CURRENCY))
        .drop_nulls("account")
        .group_by("account", _CURRENCY)
        .agg(
            pl.len().alias(_INVOICES),
            pl.col("client_iri").n_unique().alias(_CLIENTS),
            pl.col("client_iri").first(),
        )
    )
    # The main account of each currency: a company invoicing in EUR and PLN has one of each, and its EUR
    # account may well carry one client's invoices alone while few EUR invoices are open.
    main = per_account.filter(pl.col(_INVOICES) == pl.col(_INVOICES).max().over(_CURRENCY)).select("account")
    one_client = (
        books.select(_compact("bank_account").alias("account"), "client_iri")
        .group_by("account")
        .agg(pl.col("client_iri").n_unique().alias(_CLIENTS), pl.col("client_iri").null_count().alias(_KNOWN))
        .filter(pl.col(_CLIENTS) == 1, pl.col(_KNOWN) == 0)
        .select("account")
    )
    return (
        per_account.join(one_client, on="account")
        .join(main, on="account", how="anti")
        .select("account", "client_iri")
        .unique()
        .sort("account")
    )


def client_leads(incoming: pl.DataFrame, books: pl.DataFrame, learned: pl.DataFrame | None) -> pl.DataFrame:
    """The clients each line points to: its payer's IBAN learned for that client alone (an IBAN that paid
    for several clients leads nowhere), or its money reaching that client's virtual account."""
    learned = _NOTHING_LEARNED if learned is None else learned
    sole_payers = learned.filter(pl.col("clients") == 1).select(pl.col("iban").alias(_KEY), "client_iri")
    by_iban = (
        incoming.select("line_id", _compact("payer_iban").alias(_KEY))
        .join(sole_payers, on=_KEY)
        .select("line_id", "client_iri", pl.lit(VIA_LEARNED_IBAN).alias("via"))
    )
    by_account = (
        incoming.select("line_id", _compact("account").alias("account"))
        .join(virtual_accounts(books), on="account")
        .select("line_id", "client_iri", pl.lit(VIA_VIRTUAL_ACCOUNT).alias("via"))
    )
    return pl.concat([by_iban, by_account])


def virtual_evidence(pairs: pl.DataFrame, books: pl.DataFrame) -> pl.DataFrame:
    """Each pair's `virtual_account`: whether the line's money reached a virtual account of the invoice's
    client (whichever of that client's invoices names it)."""
    reached = virtual_accounts(books).select(
        pl.col("account").alias(_KEY), "client_iri", pl.lit(True).alias("virtual_account")
    )
    return (
        pairs.with_columns(_compact("account").alias(_KEY))
        .join(reached, on=[_KEY, "client_iri"], how="left", maintain_order="left")
        .select(*pairs.columns, pl.col("virtual_account").fill_null(False))
    )
