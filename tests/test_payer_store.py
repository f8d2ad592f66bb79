"""Pairs people rejected, kept in the state, count in every matching a user runs: `reconcile run`,
`reconcile explain` and `reconcile backtest`, against a real sandbox and the sample statement.

In the sample, 2026112001 is ACME LOGISTICS SP Z O O paying FV/2026/10/0101 of Acme Logistics sp. z o.o.
(/clients/1), posted by the shipped rules; 2026112103 is the same payer's 615.00 that two of Acme's invoices
fit, left to a person.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from reconcile.store.db import open_database
from reconcile.store.learned import LearnedPayers
from tests.conftest import CAMT_SAMPLE, Cli

ACME = "/clients/1"


def reject_acme_logistics(cli: Cli) -> None:
    """A person says ACME LOGISTICS SP Z O O is never Acme Logistics sp. z o.o. (a namesake, say)."""
    db = open_database(cli.env()["RECONCILE_DATABASE_URL"])
    try:
        assert LearnedPayers(db).never_match(ACME, "a namesake", payer_name="ACME LOGISTICS SP Z O O")
    finally:
        db.close()


def run(cli: Cli, *args: str) -> dict:
    done = cli("run", "--json", "--statement", str(CAMT_SAMPLE), *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def decisions(summary: dict, bank_ref: str) -> list[tuple[str, str]]:
    with (Path(summary["report_dir"]) / "matches.csv").open(encoding="utf-8-sig") as fh:
        return [(r["decision"], r["invoice_name"]) for r in csv.DictReader(fh) if r["bank_ref"] == bank_ref]


def test_a_run_neither_posts_nor_suggests_a_pair_people_rejected(cli, sandbox):
    before = run(cli, "--dry-run")  # a dry run remembers nothing
    reject_acme_logistics(cli)
    after = run(cli, "--dry-run")

    assert decisions(before, "2026112001") == [("auto_post", "FV/2026/10/0101")]
    assert decisions(after, "2026112001") == [("unmatched", "")]
    assert decisions(after, "2026112103") == [("unmatched", "")]
    assert after["counts"]["auto_post"] == before["counts"]["auto_post"] - 1


def test_explain_matches_without_a_pair_people_rejected(cli, sandbox):
    run(cli)
    reject_acme_logistics(cli)
    done = cli("explain", "--json", "2026112103")

    assert done.returncode == 0, done.stderr
    [e] = json.loads(done.stdout)
    assert (e["decision"], e["options"]) == ("unmatched", [])
    assert e["stored_decision"]["decision"] == "review"  # as the run decided it, before the rejection


def backtest(cli: Cli) -> dict:
    done = cli("backtest", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["current"]


def test_backtest_replays_without_a_pair_people_rejected(cli, sandbox):
    run(cli)
    before = backtest(cli)
    reject_acme_logistics(cli)
    after = backtest(cli)

    assert before["auto_posted"] == before["correct"] == before["confirmed"]
    assert (after["auto_posted"], after["correct"], after["wrong"]) == (
        before["auto_posted"] - 1, before["correct"] - 1, 0
    )
