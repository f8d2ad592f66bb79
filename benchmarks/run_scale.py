"""`make bench-run`: seconds and peak memory of a whole `reconcile run` of the synthetic corpus on a sandbox.

The corpus (benchmarks.corpus, 100,000 bank lines against 100,000 open invoices by default) is seeded into
a sandbox served by this process, its lines are written as camt.053 statements (one per account), and the
real command, `reconcile run --json`, runs them in a child process with a fresh SQLite state. The run's
stages are timed from its own log (`-v`); memory and CPU are read from /proc and the child's rusage.
Figures only: a timing is never asserted, and the exit status is non-zero only when the run itself fails.

    .venv/bin/python -m benchmarks.run_scale [--invoices N] [--lines N] [--requests-per-second R]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.corpus import Corpus, make_corpus
from benchmarks.harness import table
from reconcile.flowtly.sandbox import Sandbox, SandboxOptions, start_sandbox
from reconcile.flowtly.sandbox.resources import INVOICE_TRANSACTIONS
from reconcile.model import BankLine, Invoice
from reconcile.statements.writers.camt import write_camt053

TOKEN = "bench-run-token"
SIZE = 100_000
# The most reconcile.toml accepts (flowtly.requests_per_second is 0.1-100; the default is 10). At the
# default, 100,000 lines would spend over an hour in the client's rate limit alone.
REQUESTS_PER_SECOND = 100.0
SAMPLE_SECONDS = 0.05  # how often the child's memory, CPU and the sandbox's request count are read
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# `reconcile -v` logs each stage of pipeline.Run as "<time> INFO reconcile.pipeline: <stage>".
_STAGE_LINE = re.compile(r" INFO reconcile\.pipeline: (?P<stage>[A-Z][^:]*)$")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=SIZE, help="open invoices of the corpus")
    parser.add_argument("--lines", type=int, default=SIZE, help="bank lines of the corpus")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic corpus")
    parser.add_argument(
        "--requests-per-second",
        type=float,
        default=REQUESTS_PER_SECOND,
        help=f"the run's client-side rate limit (default {REQUESTS_PER_SECOND:g}, the most the configuration accepts)",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the statements, state and report here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return bench(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="reconcile-bench-run-") as tmp:
        return bench(args, Path(tmp))


def bench(args: argparse.Namespace, folder: Path) -> int:
    setup: dict[str, float] = {}
    with timed(setup, "corpus"):
        corpus = make_corpus(args.invoices, args.lines, args.seed)
    with timed(setup, "seed_and_start_sandbox"):
        sandbox = start_sandbox(sandbox_seed(corpus), options=SandboxOptions(token=TOKEN))
    with sandbox:
        with timed(setup, "statements"):
            statements = write_statements(corpus.lines, folder)
        config = write_config(folder, sandbox.url, args.requests_per_second)
        print(
            f"Whole `reconcile run`: {len(corpus.lines):,} bank lines against {len(corpus.invoices):,} open "
            f"invoices (and {len(corpus.paid):,} paid) on a local sandbox, at most "
            f"{args.requests_per_second:g} requests/s"
        )
        print(
            "not timed: corpus {corpus} s, sandbox seeded and started {seed_and_start_sandbox} s, "
            "statements written {statements} s".format(**{k: round(v, 1) for k, v in setup.items()})
            + f" ({', '.join(f'{p.name} {p.stat().st_size / 2**20:.0f} MiB' for p in statements)})"
        )
        sys.stdout.flush()  # the heading before the run, also when the output is a file
        payments_before = _payments(sandbox)
        watched = watch_run(reconcile_command(config, statements), folder, sandbox)
        postings = _payments(sandbox) - payments_before
    return report(watched, corpus, postings, args.requests_per_second)


@contextmanager
def timed(into: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into[name] = time.perf_counter() - started


# -- the sandbox and the files ---------------------------------------------------------------------------


def sandbox_seed(corpus: Corpus) -> dict[str, Any]:
    """The corpus as a sandbox seed, in the API's JSON-LD shape: its clients, its open invoices, and its paid
    ones (with a payment of their whole amount, so the run reads them as Flowtly lists them)."""
    clients: dict[str, dict[str, Any]] = {}
    invoices = []
    for invoice in [*corpus.invoices, *corpus.paid]:
        if invoice.client_iri and invoice.client_iri not in clients:
            clients[invoice.client_iri] = {
                "@id": invoice.client_iri,
                "name": invoice.client_name,
                "tin": invoice.client_tin,
                "currency": invoice.currency,
                "status": "active",
            }
        invoices.append(_invoice_document(invoice))
    return {"clients": list(clients.values()), "invoices": invoices}


def _invoice_document(invoice: Invoice) -> dict[str, Any]:
    issued = invoice.issue_date.isoformat() if invoice.issue_date else None
    # Flowtly has no "paid" status (created, edited, sent): a paid invoice is a sent one whose payments
    # cover it, and an invoice paid in part has a payment of the difference (flowtly.assumptions).
    paid = invoice.amount - invoice.open_amount  # the corpus's paid invoices have nothing open
    payments = [
        {
            "amount": paid,
            "date": issued,
            "transaction": {"bankReference": f"SEED-{invoice.id}", "externalId": f"seed-{invoice.id}"},
        }
    ]
    einvoicing = {"provider": "ksef", "status": "accepted", "einvoicingNumber": invoice.ksef_number}
    return {
        "@id": invoice.iri,
        "name": invoice.name,
        "client": invoice.client_iri,
        "tin": invoice.client_tin,
        "bankAccount": invoice.bank_account,
        "amount": invoice.amount,
        "currency": invoice.currency,
        "issueDate": issued,
        "saleDate": issued,
        "dueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "paymentMethod": "transfer",
        "status": "sent",
        "eInvoicing": einvoicing if invoice.ksef_number else None,
        "invoiceTransactions": payments if paid else [],
    }


def write_statements(lines: Sequence[BankLine], folder: Path) -> list[Path]:
    """One camt.053.001.08 per account and currency, the lines in the corpus's order."""
    by_account: dict[tuple[str, str], list[BankLine]] = {}
    for line in lines:
        by_account.setdefault((line.account, line.currency), []).append(line)
    paths = []
    for (account, currency), booked in by_account.items():
        path = folder / f"corpus-{currency}-{account[-4:]}.camt053.xml"
        text = write_camt053(
            booked, account=account, currency=currency, statement_id=f"CORPUS-{currency}", version="001.08"
        )
        path.write_bytes(text)
        paths.append(path)
    return paths


def write_config(folder: Path, api_url: str, requests_per_second: float) -> Path:
    """A reconcile.toml for the run: the sandbox, a fresh SQLite state, the reports beside it."""
    state = folder / "state" / "reconcile.sqlite"
    if state.exists():
        state.unlink()
    config = folder / "reconcile.toml"
    config.write_text(
        "[flowtly]\n"
        f"api_url = {json.dumps(api_url)}\n"
        f"token = {json.dumps(TOKEN)}\n"
        f"requests_per_second = {requests_per_second}\n"
        "lookback_days = 36525  # the corpus's invoices keep their dates however old they get\n"
        "[store]\n"
        f"database_url = {json.dumps(f'sqlite:///{state}')}\n"
        "[paths]\n"
        'inbox = "inbox"\n'
        'reports = "reports"\n',
        encoding="utf-8",
    )
    return config


def reconcile_command(config: Path, statements: Sequence[Path]) -> list[str]:
    script = Path(sys.executable).with_name("reconcile")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "reconcile"]
    return [*program, "--config", str(config), "-v", "run", "--json", *map(str, statements)]


def _payments(sandbox: Sandbox) -> int:
    with sandbox.store.lock:
        return len(sandbox.store.tables[INVOICE_TRANSACTIONS.key])


# -- watching the child ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    at: float  # perf_counter of this process
    rss_kib: int
    cpu_seconds: float  # the child's, user + system
    requests: int  # received by the sandbox so far
    sandbox_cpu: float  # this process's CPU: the sandbox serving (the watcher's share is small)


@dataclass
class Watched:
    started: float
    requests_before: int
    ended: float = 0.0
    returncode: int = 0
    peak_mib: float = 0.0
    cpu_seconds: float = 0.0  # the child's, user + system, from its rusage
    requests: int = 0  # received by the sandbox during the run
    sandbox_cpu: float = 0.0
    stdout: str = ""
    stderr_tail: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    boundaries: list[tuple[str, float]] = field(default_factory=list)  # (stage that starts, perf_counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self, stage: str, at: float) -> None:
        with self.lock:
            self.boundaries.append((stage, at))


def watch_run(command: list[str], folder: Path, sandbox: Sandbox) -> Watched:
    """Run `command` to its end, sampling it; stage boundaries come from its log lines as they arrive, from
    the sandbox's last request, and from the reports folder appearing (write_report starts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWTLY_", "RECONCILE_"))}
    reports = folder / "reports"
    sandbox_cpu = time.process_time()
    watched = Watched(started=time.perf_counter(), requests_before=sandbox.request_count)
    child = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out: list[str] = []
    readers = [
        threading.Thread(target=_read_log, args=(child, watched), daemon=True),
        threading.Thread(target=lambda: out.append(child.stdout.read() if child.stdout else ""), daemon=True),
    ]
    for reader in readers:
        reader.start()
    # What the stages count from: nothing run yet.
    watched.samples.append(Sample(watched.started, 0, 0.0, watched.requests_before, sandbox_cpu))
    watched.mark("start-up (imports, settings, state)", watched.started)
    last_requests, last_request_at, report_seen = sandbox.request_count, watched.started, False
    while child.poll() is None:
        sample = _sample(child.pid, sandbox)
        if sample is not None:
            watched.samples.append(sample)
            if sample.requests != last_requests:
                last_requests, last_request_at = sample.requests, sample.at
        if not report_seen and reports.is_dir() and any(reports.iterdir()):
            report_seen = True
            _mark_after_requests(watched, last_request_at)
            watched.mark("writing the report, exit", time.perf_counter())
        time.sleep(SAMPLE_SECONDS)
    watched.ended = time.perf_counter()
    for reader in readers:
        reader.join()
    watched.returncode = child.returncode
    watched.stdout = "".join(out)
    watched.requests = sandbox.request_count - watched.requests_before
    watched.sandbox_cpu = time.process_time() - sandbox_cpu
    # The only child this process waited for is the run. Linux reports ru_maxrss in KiB.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    watched.peak_mib = usage.ru_maxrss / 1024
    watched.cpu_seconds = usage.ru_utime + usage.ru_stime
    return watched


def _mark_after_requests(watched: Watched, last_request_at: float) -> None:
    """Split the last stage where its requests ended: what follows them (recording the decisions in the
    state) is not the stage's work with Flowtly."""
    with watched.lock:
        started = watched.boundaries[-1][1]
    requests_in_stage = [s for s in watched.samples if s.at >= started]
    if requests_in_stage and requests_in_stage[-1].requests > requests_in_stage[0].requests:
        watched.mark("recording decisions in the state", last_request_at)


def _read_log(child: subprocess.Popen[str], watched: Watched) -> None:
    assert child.stderr is not None
    for text in child.stderr:
        at = time.perf_counter()
        found = _STAGE_LINE.search(text.rstrip("\n"))
        if found:
            watched.mark(found["stage"].lower(), at)
        watched.stderr_tail = [*watched.stderr_tail[-19:], text.rstrip("\n")]


def _sample(pid: int, sandbox: Sandbox) -> Sample | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone between poll() and here
        return None
    rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    ticks = stat.rsplit(")", 1)[1].split()  # fields from the 3rd on: utime and stime are the 14th and 15th
    return Sample(
        at=time.perf_counter(),
        rss_kib=int(rss.group(1)) if rss else 0,
        cpu_seconds=(int(ticks[11]) + int(ticks[12])) / _CLOCK_TICKS,
        requests=sandbox.request_count,
        sandbox_cpu=time.process_time(),
    )


# -- the figures -------------------------------------------------------------------------------------------


def stage_rows(watched: Watched) -> list[dict[str, Any]]:
    """One row per stage: wall seconds, the child's CPU seconds and largest resident size in it, the
    requests the sandbox received and the CPU it spent serving them."""
    marks = sorted(watched.boundaries, key=lambda m: m[1])
    rows = []
    for (stage, start), end in zip(marks, [m[1] for m in marks[1:]] + [watched.ended], strict=True):
        inside = [s for s in watched.samples if start <= s.at <= end]
        first, last = _at(watched, start), _at(watched, end)
        rows.append(
            {
                "stage": stage,
                "seconds": f"{end - start:.1f}",
                "cpu_s": f"{last.cpu_seconds - first.cpu_seconds:.1f}" if first and last else "",
                "rss_max_mib": f"{max(s.rss_kib for s in inside) / 1024:.0f}" if inside else "",
                "requests": f"{last.requests - first.requests:,}" if first and last else "",
                "sandbox_cpu_s": f"{last.sandbox_cpu - first.sandbox_cpu:.1f}" if first and last else "",
            }
        )
    return rows


def _at(watched: Watched, moment: float) -> Sample | None:
    """The last sample taken at or before `moment` (the first one for a moment before any)."""
    before = [s for s in watched.samples if s.at <= moment]
    return before[-1] if before else (watched.samples[0] if watched.samples else None)


def report(watched: Watched, corpus: Corpus, postings: int, requests_per_second: float) -> int:
    summary = _summary(watched.stdout)
    failed = (
        summary is None
        or watched.returncode not in (0, 1)
        or summary.get("status") not in ("done", "attention")
    )
    rows = stage_rows(watched)
    rows.append(
        {
            "stage": "whole run",
            "seconds": f"{watched.ended - watched.started:.1f}",
            "cpu_s": f"{watched.cpu_seconds:.1f}",
            "rss_max_mib": f"{watched.peak_mib:.0f}",
            "requests": f"{watched.requests:,}",
            "sandbox_cpu_s": f"{watched.sandbox_cpu:.1f}",
        }
    )
    print(table(rows, ["stage", "seconds", "cpu_s", "rss_max_mib", "requests", "sandbox_cpu_s"]))
    print(
        "seconds: wall; cpu_s: the run's CPU; rss_max_mib: its largest resident size seen (whole run: its peak, "
        "ru_maxrss);\nrequests: received by the sandbox; sandbox_cpu_s: CPU this process spent serving them "
        f"(sampled every {SAMPLE_SECONDS:g} s)"
    )
    if summary is not None:
        print()
        figures = _figures(summary, postings, requests_per_second, watched)
        figures |= _against_truth(summary, corpus)
        print(table([figures], list(figures)))
    if failed:
        print(f"\nthe run failed (exit {watched.returncode}); the end of its log:", file=sys.stderr)
        print("\n".join(watched.stderr_tail), file=sys.stderr)
        return 1
    return 0


def _summary(stdout: str) -> dict[str, Any] | None:
    try:
        summary = json.loads(stdout)
    except ValueError:
        return None
    return summary if isinstance(summary, dict) else None


def _figures(
    summary: dict[str, Any], postings: int, requests_per_second: float, watched: Watched
) -> dict[str, Any]:
    counts = summary.get("counts", {})
    return {
        "status": summary.get("status"),
        "lines": f"{sum(f.get('lines', 0) for f in summary.get('files', [])):,}",
        "open_invoices": f"{summary.get('open_invoices') or 0:,}",
        **{kind: f"{counts.get(kind, 0):,}" for kind in ("posted", "review", "unmatched", "ignored")},
        "undecided": f"{summary.get('undecided', {}).get('count', 0):,}",
        "postings": f"{postings:,}",
        "errors": len(summary.get("errors", [])),
        # What the client's rate limit alone costs: every request waits its slot.
        "rate_limit_s": f"{watched.requests / requests_per_second:.0f}",
    }


def _against_truth(summary: dict[str, Any], corpus: Corpus) -> dict[str, Any]:
    """Posted lines whose allocations are the accountant's (benchmarks.corpus truth), and the others."""
    matches = Path(summary.get("report_dir") or "") / "matches.csv"
    if not matches.is_file():
        return {}
    truth = {line.bank_ref: corpus.truth[line.line_id].allocations for line in corpus.lines}
    posted: dict[str, dict[str, Decimal]] = {}
    with matches.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["decision"] == "posted" and row["invoice_id"]:
                allocation = {f"/invoices/{row['invoice_id']}": Decimal(row["allocated_amount"])}
                posted.setdefault(row["bank_ref"].lstrip("'"), {}).update(allocation)
    right = sum(truth.get(ref) == allocations for ref, allocations in posted.items())
    return {"posted_as_truth": f"{right:,}", "posted_otherwise": f"{len(posted) - right:,}"}


if __name__ == "__main__":
    sys.exit(main())
