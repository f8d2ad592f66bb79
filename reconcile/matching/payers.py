"""Who is paying: the payer's name (from the bank, or read in the title), the payer IBANs confirmed for a
client before, and the virtual accounts that belong to one client (what the rules and people said of payers
is in reconcile.matching.payer_lists). Pure polars joins: no I/O, and never a loop over lines or invoices
(Python only reads the few distinct titles that may name a payer).

A lead names a client, not an invoice: the core uses it only together with another key (the exact amount)
or to look for a combined payment among that client's open invoices, never to bring in a whole ledger.

Column contract (accounts and IBANs are compared without spaces, in upper case; names by their
reconcile.matching.names.payer_key):
    lines     counterparty_name, remittance (as reconcile.matching.tables.LINE_COLUMNS)
    learned   iban, client_iri, count (Int64), clients (Int64: distinct clients the IBAN paid for);
              reconcile.store.learned.LearnedPayers.frame(), or None before anything was learned
    books     iri, client_iri, client_name, bank_account (the invoice's: the account its payment should reach)
    incoming  line_id, payer, payer_iban (the payer's, or null), account (ours, that received the money)
    pairs     line_id, iri, client_iri (the invoice's), and payer_iban or account (the line's)

    payer_names           -> the `payer` column of lines (String)
    learned_evidence      -> pairs + iban_level (String, IBAN_LEVELS or null), iban_count (Int64, 0 if none)
    virtual_evidence      -> pairs + virtual_account (Boolean)
    virtual_accounts      -> account, client_iri
    client_leads          -> line_id, client_iri, via ("learned_iban" or "virtual_account")
"""

from __future__ import annotations

import polars as pl

from reconcile.matching.names import MT940_CONTINUATION, PAYER_LABEL_HINT, payer_from_remittance

LEARNED, LEARNED_SHARED, LEARNED_OTHER = "learned", "learned_shared", "learned_other"
IBAN_LEVELS = (LEARNED, LEARNED_SHARED, LEARNED_OTHER)
VIA_LEARNED_IBAN, VIA_VIRTUAL_ACCOUNT = "learned_iban", "virtual_account"

NOTHING_LEARNED = pl.DataFrame(
    schema={"iban": pl.String, "client_iri": pl.String, "count": pl.Int64, "clients": pl.Int64}
)
# Working columns, never returned.
_KEY, _CLIENTS, _KNOWN, _INVOICES = "_payers_key", "_payers_clients", "_payers_known", "_payers_invoices"
_CURRENCY = "_payers_currency"
_READ = "_payers_read"


def compact(column: str) -> pl.Expr:
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
    if learned is None or learned.is_empty():
        return pairs.with_columns(pl.lit(None, dtype=pl.String).alias("iban_level"), pl.lit(0, dtype=pl.Int64).alias("iban_count"))
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
        pairs.with_columns(compact("payer_iban").alias(_KEY))
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
    # A company has a few accounts and many invoices: the invoices are counted per account as written, and
    # each is compacted once; only the invoices of accounts that are no main one are looked at for clients.
    written = (
        books.group_by("bank_account", currency.alias(_CURRENCY))
        .agg(pl.len().alias(_INVOICES))
        .with_columns(compact("bank_account").alias("account"))
        .drop_nulls("account")
    )
    per_account = written.group_by("account", _CURRENCY).agg(pl.col(_INVOICES).sum())
    # The main account of each currency: a company invoicing in EUR and PLN has one of each, and its EUR
    # account may well carry one client's invoices alone while few EUR invoices are open.
    main = per_account.filter(pl.col(_INVOICES) == pl.col(_INVOICES).max().over(_CURRENCY)).select("account")
    others = written.join(main, on="account", how="anti").select("bank_account", "account").unique()
    accounts = books.join(others, on="bank_account").select("account", "client_iri")
    one_client = (
        accounts.group_by("account")
        .agg(pl.col("client_iri").n_unique().alias(_CLIENTS), pl.col("client_iri").null_count().alias(_KNOWN))
        .filter(pl.col(_CLIENTS) == 1, pl.col(_KNOWN) == 0)
        .select("account")
    )
    return (
        accounts.join(one_client, on="account")
        .select("account", "client_iri")
        .unique()
        .sort("account")
    )


def client_leads(incoming: pl.DataFrame, virtual: pl.DataFrame, learned: pl.DataFrame | None) -> pl.DataFrame:
    """The clients each line points to: its payer's IBAN learned for that client alone (an IBAN that paid
    for several clients leads nowhere), or its money reaching that client's virtual account (`virtual`:
    virtual_accounts of the books)."""
    learned = NOTHING_LEARNED if learned is None else learned
    sole_payers = learned.filter(pl.col("clients") == 1).select(pl.col("iban").alias(_KEY), "client_iri")
    leads = [
        incoming.select("line_id", compact(column).alias(_KEY))
        .join(clients, on=_KEY)
        .select("line_id", "client_iri", pl.lit(via).alias("via"))
        for column, clients, via in (
            ("payer_iban", sole_payers, VIA_LEARNED_IBAN),
            ("account", virtual.rename({"account": _KEY}), VIA_VIRTUAL_ACCOUNT),
        )
        if not clients.is_empty()  # nothing to look up: no need to read every line's account
    ]
    schema: dict[str, pl.DataType] = {
        "line_id": incoming.schema["line_id"], "client_iri": sole_payers.schema["client_iri"], "via": pl.String()
    }
    return pl.concat(leads) if leads else pl.DataFrame(schema=schema)


def virtual_evidence(pairs: pl.DataFrame, virtual: pl.DataFrame) -> pl.DataFrame:
    """Each pair's `virtual_account`: whether the line's money reached a virtual account of the invoice's
    client (whichever of that client's invoices names it; `virtual`: virtual_accounts of the books)."""
    if virtual.is_empty():
        return pairs.with_columns(pl.lit(False).alias("virtual_account"))
    reached = virtual.select(
        pl.col("account").alias(_KEY), "client_iri", pl.lit(True).alias("virtual_account")
    )
    return (
        pairs.with_columns(compact("account").alias(_KEY))
        .join(reached, on=[_KEY, "client_iri"], how="left", maintain_order="left")
        .select(*pairs.columns, pl.col("virtual_account").fill_null(False))
    )


# -- who paid: the bank's payer field, or the name the title writes after a payer label ------------------


def payer_names(lines: pl.DataFrame) -> pl.Series:
    """Each line's payer, as reconcile.matching.names.line_payer reads one line: its counterparty_name, or,
    when that is null or blank, the name its remittance writes after a payer label ("WIRE FROM BLUE HARBOR
    TRADING LLC"); else the field as it was.

    payer_from_remittance runs in Python only on the distinct titles of the lines without a payer that hold
    a label's hint (names.PAYER_LABEL_HINT): most banks name the payer, and most titles name no label.
    """
    given = pl.col("counterparty_name").cast(pl.String)  # a column of nulls alone may come typed Null
    no_payer = given.is_null() | (given.str.strip_chars() == "")
    hinted = (
        lines.lazy()
        .filter(no_payer)
        .select(pl.col("remittance").unique())
        .filter(pl.col("remittance").str.replace_all(MT940_CONTINUATION, "").str.contains(PAYER_LABEL_HINT))
        .collect()
    )
    read = {text: name for text in hinted["remittance"].to_list() if (name := payer_from_remittance(text))}
    if not read:
        return lines.get_column("counterparty_name").cast(pl.String).alias("payer")
    found = pl.DataFrame(
        {"remittance": list(read), _READ: list(read.values())},
        schema={"remittance": pl.String, _READ: pl.String},
    )
    return (
        lines.select("counterparty_name", "remittance")
        .join(found, on="remittance", how="left", maintain_order="left")
        .select(pl.when(no_payer).then(pl.coalesce(_READ, given)).otherwise(given).alias("payer"))
        .to_series()
    )
