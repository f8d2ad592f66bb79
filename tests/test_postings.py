"""Posting an invoice-transaction exactly once against the real sandbox, when answers are lost on the way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from reconcile.errors import FlowtlyError, FlowtlyUnavailable, FlowtlyValidationError
from reconcile.flowtly.client import FlowtlyClient
from reconcile.flowtly.postings import MAX_UNKNOWN_OUTCOMES, create_once, find_existing
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from reconcile.model import BankLine, Posting
from tests.test_client_support import FakeTime, Proxy, Seen, fast_settings

ACCOUNT = "PL61109010140000071219812874"


def bank_line(ref: str = "2026112001", amount: str = "123.45") -> BankLine:
    return BankLine(
        line_id=f"line-{ref}",
        bank_ref=ref,
        account=ACCOUNT,
        currency="PLN",
        amount=Decimal(amount),
        booking_date=date(2026, 5, 10),
        counterparty_name="Gęś i Wróbel s.c.",
        counterparty_iban="PL10105000997603123456789123",
        remittance="Zapłata za FV/2026/04/0001",
    )


def posting_for(line: BankLine, invoice_iri: str = "/invoices/1") -> Posting:
    return Posting(
        line_id=line.line_id,
        bank_ref=line.bank_ref,
        invoice_iri=invoice_iri,
        amount=line.amount,
        currency="PLN",
        booking_date=line.booking_date,
    )


def ours(snapshot: dict, line: BankLine) -> list[dict]:
    return [
        tx for tx in snapshot["invoiceTransactions"] if tx["transaction"].get("externalId") == line.line_id
    ]


@pytest.mark.parametrize("hydra_prefix", [True, False], ids=["hydra-prefix", "no-prefix"])
def test_lost_answer_is_looked_up_and_the_stored_transaction_returned_without_a_second_post(
    hydra_prefix: bool,
) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix, drop_after_commit_rate=1.0, fault_seed=1)
    line = bank_line()
    with start_sandbox(make_seed(5), options=options) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            remote = create_once(client, posting_for(line), line, look_first=False)
        stored = ours(sandbox.snapshot(), line)
        assert sandbox.dropped_count + sandbox.status_counts.get(502, 0) == 1  # the answer really was lost
    assert [tx["@id"] for tx in stored] == [remote]
    assert proxy.paths("POST") == ["/invoice-transactions"]
    assert proxy.seen[-1].request.url.params["invoice"] == "/invoices/1"


def test_answers_lost_on_both_kinds_of_failure_still_store_each_posting_once() -> None:
    """Half the lost answers are a dropped connection, half a proxy's 502: either way, one transaction."""
    options = SandboxOptions(drop_after_commit_rate=1.0, fault_seed=8)
    lines = [bank_line(f"REF{n}") for n in range(1, 9)]
    with start_sandbox(make_seed(10), options=options) as sandbox:
        with FlowtlyClient(fast_settings(sandbox)) as client:
            for n, line in enumerate(lines, start=1):
                create_once(client, posting_for(line, f"/invoices/{n}"), line, look_first=False)
        assert sandbox.dropped_count > 0 and sandbox.status_counts.get(502, 0) > 0
        snapshot = sandbox.snapshot()
    assert all(len(ours(snapshot, line)) == 1 for line in lines)


def test_looking_first_finds_an_earlier_posting_and_sends_nothing() -> None:
    line = bank_line()
    with start_sandbox(make_seed(5)) as sandbox:
        with FlowtlyClient(fast_settings(sandbox)) as client:
            first = create_once(client, posting_for(line), line, look_first=False)
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            again = create_once(client, posting_for(line), line, look_first=True)
        assert len(ours(sandbox.snapshot(), line)) == 1
    assert again == first
    assert proxy.paths("POST") == []


def test_looking_first_and_finding_nothing_posts_once() -> None:
    line = bank_line()
    with start_sandbox(make_seed(5)) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        remote = create_once(client, posting_for(line), line, look_first=True)
        assert [tx["@id"] for tx in ours(sandbox.snapshot(), line)] == [remote]


def test_a_post_that_failed_before_it_was_stored_is_sent_again_after_looking() -> None:
    """A 500 may or may not have stored the POST: the client looks, finds nothing, and posts again."""
    line = bank_line()
    options = SandboxOptions(fail_rate=1.0, fault_seed=4)  # its first fault is a 500
    with start_sandbox(make_seed(5), options=options) as sandbox:

        def heal_after_first(seen: Seen) -> None:
            sandbox.options.fail_rate = 0.0

        proxy = Proxy(after_each=heal_after_first)
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            remote = create_once(client, posting_for(line), line, look_first=False)
        stored = ours(sandbox.snapshot(), line)
    assert [(s.request.method, s.status) for s in proxy.seen] == [("POST", 500), ("GET", 200), ("POST", 201)]
    assert [tx["@id"] for tx in stored] == [remote]


def test_the_lookup_checks_the_invoice_itself_when_the_server_ignores_the_invoice_filter() -> None:
    """The same bank line paid on another invoice is not this posting, even if the server lists it."""
    line = bank_line()
    with start_sandbox(make_seed(5)) as sandbox:
        with FlowtlyClient(fast_settings(sandbox)) as client:
            on_first = create_once(client, posting_for(line, "/invoices/1"), line, look_first=False)
        ignoring = Proxy(drop_params=("invoice",))
        with FlowtlyClient(fast_settings(sandbox), transport=ignoring) as client:
            assert find_existing(client, posting_for(line, "/invoices/2")) is None
            on_second = create_once(client, posting_for(line, "/invoices/2"), line, look_first=True)
        stored = {tx["invoice"]: tx["@id"] for tx in ours(sandbox.snapshot(), line)}
    assert stored == {"/invoices/1": on_first, "/invoices/2": on_second}


def test_posting_carries_the_bank_line_as_the_transaction() -> None:
    line = bank_line()
    with start_sandbox(make_seed(5)) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        create_once(client, posting_for(line), line, look_first=False)
        [tx] = ours(sandbox.snapshot(), line)
    assert tx["invoice"] == "/invoices/1"
    assert tx["amount"] == Decimal("123.45") and tx["date"] == "2026-05-10"
    assert tx["transaction"] == {
        "bankReference": "2026112001",
        "externalId": "line-2026112001",
        "date": "2026-05-10",
        "amount": Decimal("123.45"),
        "currency": "PLN",
        "counterpartyName": "Gęś i Wróbel s.c.",
        "counterpartyAccount": "PL10105000997603123456789123",
        "title": "Zapłata za FV/2026/04/0001",
        "account": ACCOUNT,
    }


def test_a_refused_posting_raises_the_violations_and_stores_nothing() -> None:
    line = bank_line(amount="0.00")
    with start_sandbox(make_seed(5)) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        with pytest.raises(FlowtlyValidationError) as err:
            create_once(client, posting_for(line), line, look_first=False)
        assert ours(sandbox.snapshot(), line) == []
    assert [v.property_path for v in err.value.violations] == ["amount"]


def test_answers_lost_every_time_leave_the_posting_for_the_next_run() -> None:
    """A proxy that always answers 502 and a server that never shows the transaction: we stop, and say so."""
    posts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.url.path)
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json={"hydra:member": [], "hydra:totalItems": 0})

    line = bank_line()
    fake = FakeTime()
    settings = fast_settings("http://flowtly.test")
    with (
        FlowtlyClient(
            settings, transport=httpx.MockTransport(handler), sleep=fake.sleep, clock=fake.clock
        ) as c,
        pytest.raises(FlowtlyError) as err,
    ):
        create_once(c, posting_for(line), line, look_first=False)
    assert len(posts) == MAX_UNKNOWN_OUTCOMES
    assert isinstance(err.value, FlowtlyUnavailable)  # an outage: the pipeline keeps it in the outbox
    assert "will be checked on the next run - do not post it by hand" in str(err.value)
    assert len(fake.slept) == MAX_UNKNOWN_OUTCOMES - 1  # a pause between attempts, none after the last


def test_a_transaction_listed_as_an_iri_is_read_before_it_is_compared() -> None:
    """A server that stored our embedded transaction as a resource of its own lists it by IRI."""
    line = bank_line()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/transactions/9":
            return httpx.Response(200, json={"@id": "/transactions/9", "externalId": line.line_id})
        member = {
            "@id": "/invoice-transactions/5",
            "invoice": "/invoices/1",
            "transaction": "/transactions/9",
        }
        return httpx.Response(200, json={"member": [member]})

    with FlowtlyClient(
        fast_settings("http://flowtly.test"), transport=httpx.MockTransport(handler)
    ) as client:
        assert find_existing(client, posting_for(line)) == "/invoice-transactions/5"
