"""Contract tests of the Flowtly client against the real sandbox, in both Hydra dialects, over real HTTP.

What a run reads: whole collections page by page (as the server pages them), the open invoices within the
look-back window (filters sent, and checked again when the server ignores them), client names (cached).
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from reconcile import __version__
from reconcile.flowtly.client import FlowtlyClient, RateLimiter
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from tests.test_client_support import RECHECK_OPEN, FakeTime, Proxy, fast_settings, recheck_seed

DIALECTS = pytest.mark.parametrize(
    ("hydra_prefix", "partial"),
    [(True, False), (False, False), (True, True), (False, True)],
    ids=["hydra-prefix", "no-prefix", "hydra-prefix-partial", "no-prefix-partial"],
)
WINDOW_START = date(2026, 1, 1)


@DIALECTS
def test_collection_is_read_whole_in_pages_of_the_size_the_server_grants(
    hydra_prefix: bool, partial: bool
) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix, partial_pagination=partial, max_items_per_page=7)
    with start_sandbox(make_seed(40), options=options) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox, items_per_page=100), transport=proxy) as client:
            ids = [doc["id"] for doc in client.iter_collection("/invoices")]
    assert ids == list(range(1, 41))
    pages = proxy.paths()
    # 40 items in pages of 7 (not the 100 asked for): six pages; the sixth is not full, so even partial
    # pagination offers no `next` after it.
    assert len(pages) == 6


@DIALECTS
def test_next_page_iri_is_followed_exactly_as_given(hydra_prefix: bool, partial: bool) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix, partial_pagination=partial, max_items_per_page=5)
    with start_sandbox(make_seed(12), options=options) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            list(client.iter_collection("/invoices", [("order[id]", "desc")]))
    view_key = "hydra:view" if hydra_prefix else "view"
    next_key = "hydra:next" if hydra_prefix else "next"
    offered = [s.body[view_key].get(next_key) for s in proxy.seen]
    followed = [str(s.request.url.raw_path, "ascii") for s in proxy.seen[1:]]
    assert followed == [iri for iri in offered if iri]


def test_partial_pagination_ending_on_an_empty_page_reads_every_item() -> None:
    """Under partial pagination a full last page still offers `next`, which leads to an empty page."""
    options = SandboxOptions(hydra_prefix=False, partial_pagination=True, max_items_per_page=5)
    with start_sandbox(make_seed(10), options=options) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            ids = [doc["id"] for doc in client.iter_collection("/invoices")]
    assert ids == list(range(1, 11))
    assert [len(s.body["member"]) for s in proxy.seen] == [5, 5, 0]


@pytest.mark.parametrize("hydra_prefix", [True, False], ids=["hydra-prefix", "no-prefix"])
def test_open_invoices_are_those_open_in_the_window_with_their_open_amounts_and_client_names(
    hydra_prefix: bool,
) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix, max_items_per_page=4)
    with (
        start_sandbox(recheck_seed(), options=options) as sandbox,
        FlowtlyClient(fast_settings(sandbox)) as client,
    ):
        invoices = fetch_open_invoices(client, issued_after=WINDOW_START)
    assert {inv.name: (str(inv.open_amount), inv.client_name) for inv in invoices} == RECHECK_OPEN


def test_filters_for_open_statuses_and_the_window_are_sent() -> None:
    with start_sandbox(recheck_seed()) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            fetch_open_invoices(client, issued_after=WINDOW_START)
    first = proxy.seen[0].request.url
    assert first.path == "/invoices"
    assert sorted(first.params.get_list("status[]")) == ["created", "edited", "sent"]
    assert first.params["issueDate[after]"] == "2026-01-01"


@pytest.mark.parametrize("hydra_prefix", [True, False], ids=["hydra-prefix", "no-prefix"])
def test_every_predicate_is_checked_again_when_the_server_ignores_the_filters(hydra_prefix: bool) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix)
    with start_sandbox(recheck_seed(), options=options) as sandbox:
        ignoring = Proxy(drop_params=("status[]", "issueDate[after]"))
        with FlowtlyClient(fast_settings(sandbox), transport=ignoring) as client:
            invoices = fetch_open_invoices(client, issued_after=WINDOW_START)
    member = "hydra:member" if hydra_prefix else "member"
    served = {doc["name"] for doc in ignoring.seen[0].body[member]}
    assert len(served) == 12  # the server sent drafts, paid, old and corrections too
    assert {inv.name: (str(inv.open_amount), inv.client_name) for inv in invoices} == RECHECK_OPEN


def test_the_look_back_window_leaves_out_older_invoices() -> None:
    with start_sandbox(recheck_seed()) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        everything = fetch_open_invoices(client, issued_after=None)
        recent = fetch_open_invoices(client, issued_after=WINDOW_START)
    assert {i.name for i in everything} - {i.name for i in recent} == {"FV/2026/04/0008"}


def test_each_client_is_read_once_and_a_literal_name_not_at_all() -> None:
    seed = make_seed(60, n_clients=5, seed=4)
    seed["invoices"][0]["client"] = "Jan Kowalski Usługi Remontowe"
    with start_sandbox(seed) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            invoices = fetch_open_invoices(client, issued_after=None)
    client_gets = Counter(p for p in proxy.paths() if p.startswith("/clients"))
    assert client_gets and set(client_gets.values()) == {1}
    assert len(client_gets) == len({i.client_iri for i in invoices if i.client_iri})
    assert "Jan Kowalski Usługi Remontowe" in {i.client_name for i in invoices}


def test_many_clients_are_read_through_the_collection_not_one_by_one() -> None:
    with start_sandbox(make_seed(400, n_clients=120, seed=2)) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            invoices = fetch_open_invoices(client, issued_after=None)
    client_requests = [p for p in proxy.paths() if p.startswith("/clients")]
    assert client_requests and set(client_requests) == {"/clients"}
    assert all(inv.client_name for inv in invoices)


def test_requests_carry_bearer_token_json_ld_accept_and_versioned_user_agent() -> None:
    with start_sandbox(make_seed(3)) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy) as client:
            client.get("/invoices/1")
    headers = proxy.seen[0].request.headers
    assert headers["Authorization"] == f"Bearer {sandbox.token}"
    assert headers["Accept"] == "application/ld+json"
    assert headers["User-Agent"].startswith(f"reconcile/{__version__} ")


def test_one_pooled_connection_serves_a_whole_run() -> None:
    with start_sandbox(make_seed(50)) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        for n in range(1, 21):
            client.get(f"/invoices/{n}")
        pool = client._http._transport._pool  # type: ignore[attr-defined]  # httpcore's connection pool
        assert len(pool.connections) == 1


def test_rate_limiter_spaces_requests_evenly_once_the_burst_is_spent() -> None:
    fake = FakeTime()
    limiter = RateLimiter(4, burst=2, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(6):
        limiter.acquire()
        times.append(fake.now - 1000.0)
    assert times == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1.0])


def test_client_sends_no_more_than_the_configured_requests_per_second() -> None:
    fake = FakeTime()
    with start_sandbox(make_seed(5)) as sandbox:
        proxy = Proxy(clock=fake.clock)
        settings = fast_settings(sandbox, requests_per_second=5, burst=1)
        with FlowtlyClient(settings, transport=proxy, sleep=fake.sleep, clock=fake.clock) as client:
            for _ in range(6):
                client.get("/clients/1")
    sent_at = [s.at for s in proxy.seen]
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert gaps == pytest.approx([0.2] * 5)


def test_open_amount_is_exact_decimal_in_the_invoice_currency() -> None:
    with start_sandbox(recheck_seed()) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        [inv] = [i for i in fetch_open_invoices(client, issued_after=None) if i.name == "FV/2026/04/0009"]
    assert inv.open_amount == Decimal("500.00") and inv.currency == "PLN"


def test_the_run_benchmark_posts_every_open_invoice_once() -> None:
    from benchmarks.client_run import run_bench

    figures = run_bench(40)
    assert figures["postings"] == figures["open"] == figures["lines"] > 0
    assert figures["errors"] == 0
    assert figures["requests"] >= figures["postings"]
