"""reconcile explain, as a user runs it after a run of the sample statement against a real sandbox."""

from __future__ import annotations

import json

from reconcile.rules import load_rules
from tests.conftest import CAMT_SAMPLE, Cli

COMPARISONS = [c.name for c in load_rules().comparisons]


def run_sample(cli: Cli) -> None:
    done = cli("run", "--statement", str(CAMT_SAMPLE))
    assert done.returncode == 0, done.stderr


def explain_json(cli: Cli, *args: str) -> list[dict]:
    done = cli("explain", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_posted_line_is_explained_by_every_level_of_its_invoice(cli, sandbox):
    run_sample(cli)
    [e] = explain_json(cli, "2026112001")

    assert (e["status"], e["decision"]) == ("posted", "auto_post")
    assert [(p["invoice_name"], p["amount"], p["state"]) for p in e["postings"]] == [
        ("FV/2026/10/0101", "2460.00", "posted")
    ]
    assert e["line"]["amount"] == "2460.00" and e["line"]["title"] == "Zaplata za fakture FV/2026/10/0101"
    assert e["reason"].startswith("FV/2026/10/0101 is >99.9% likely, at least the 99% to post")
    assert e["stored_decision"]["decision"] == "posted"
    best = e["options"][0]
    assert [a["invoice_name"] for a in best["allocations"]] == ["FV/2026/10/0101"]
    levels = {ev["comparison"]: ev["level"] for ev in best["evidence"]}
    assert list(levels) == COMPARISONS
    assert levels["reference"] == "invoice number in the title"
    assert levels["amount"] == "equals the open amount"
    # matched as before its posting: what was learned from this very line does not count
    assert levels["account"] == "nothing known of the payer's account"


def test_a_review_line_shows_each_suggestion_and_the_reason_it_was_not_posted(cli, sandbox):
    run_sample(cli)
    done = cli("explain", "2026112103")

    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "Decision now: review" in text
    assert "why: FV/2026/11/0111 is nearly as likely as FV/2026/11/0110" in text
    assert "cannot be seen here" in text  # a batch conflict needs the whole run
    assert "1. FV/2026/11/0110 615.00 PLN" in text and "2. FV/2026/11/0111 615.00 PLN" in text
    for name in COMPARISONS:
        assert text.count(f"       {name} ") == 2, name
    assert "equals the open amount" in text and "x50" in text


def test_a_line_is_found_by_its_line_id_too(cli, sandbox):
    run_sample(cli)
    [by_ref] = explain_json(cli, "2026112202")
    [by_id] = explain_json(cli, by_ref["line"]["line_id"])

    assert by_id["line"] == by_ref["line"]
    assert (by_id["decision"], by_id["reason"]) == ("unmatched", "no open invoice resembles this payment")
    assert by_id["options"] == []


def test_an_unknown_reference_is_one_line_and_exit_1(cli, sandbox):
    run_sample(cli)
    done = cli("explain", "NO-SUCH-REF")

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("Error: no stored bank line has the reference 'NO-SUCH-REF'")
    assert len(done.stderr.strip().splitlines()) == 1
