"""One run: import statements -> finish earlier postings -> fetch open invoices -> match -> post -> report.

The order is what makes a run safe to kill at any point: lines are stored before anything is posted, a
posting is recorded before its request leaves, and a posting whose answer was lost is looked up on the
next run before it is sent again. Nothing here prints; progress goes through the `Progress` callback.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from reconcile.config import Settings
from reconcile.errors import (
    FlowtlyAuthError,
    FlowtlyError,
    FlowtlyRateLimited,
    FlowtlyServerError,
    FlowtlyUnavailable,
    StatementError,
)
from reconcile.flowtly import assumptions
from reconcile.flowtly.client import ClientSettings, FlowtlyClient
from reconcile.flowtly.invoices import ResourceCache, fetch_open_invoices
from reconcile.flowtly.postings import create_once, find_existing
from reconcile.matching.engine import match_lines
from reconcile.model import BankLine, Decision, Match, Posting, RunSummary
from reconcile.reporting.report import summary_dict, write_report
from reconcile.rules import load_rules
from reconcile.statements.base import StatementReader
from reconcile.statements.registry import default_readers, read_statement
from reconcile.store.db import open_database
from reconcile.store.state import State

log = logging.getLogger(__name__)


# Failures that say Flowtly cannot take postings now: the run stops posting and leaves the rest for later.
OUTAGES = (FlowtlyUnavailable, FlowtlyServerError, FlowtlyRateLimited, FlowtlyAuthError)


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, done: int) -> None: ...


class NoProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        log.info("%s", name)

    def advance(self, done: int) -> None:
        pass


@dataclass(frozen=True)
class RunRequest:
    statements: tuple[Path, ...] = ()  # empty: the new files in the inbox
    dry_run: bool = False
    trigger: str = "manual"  # manual | nightly | demo


def new_run_id(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inbox_files(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))


def _move_aside(path: Path, folder: Path, reason: str | None = None) -> Path:
    """Move a file out of the inbox without overwriting anything already there."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


class Run:
    """The state of one run while it goes; `execute` is the whole of it."""

    def __init__(
        self,
        settings: Settings,
        request: RunRequest,
        *,
        progress: Progress | None = None,
        readers: Sequence[StatementReader] | None = None,
        client: FlowtlyClient | None = None,
    ) -> None:
        self.settings = settings
        self.request = request
        self.progress = progress or NoProgress()
        self.readers = readers if readers is not None else default_readers(settings.csv_profiles)
        self.rules = load_rules(settings.rules)
        self.run_id = new_run_id()
        self.summary = RunSummary(run_id=self.run_id, dry_run=request.dry_run)
        self._client = client
        self._api_down: str | None = None  # set when Flowtly stops answering mid-run
        self._retry_later: set[str] = set()  # lines left `new`, to be matched again next run

    # -- the run -------------------------------------------------------------------------------------

    def execute(self) -> RunSummary:
        db = open_database(self.settings.database_url)
        try:
            with db.run_lock():
                state = State(db)
                state.start_run(self.run_id, trigger=self.request.trigger, dry_run=self.request.dry_run)
                status = "failed"
                try:
                    self._execute(state)
                    status = "attention" if self.summary.needs_attention else "done"
                finally:
                    state.finish_run(
                        self.run_id,
                        status=status,
                        report_dir=self.summary.report_dir,
                        summary=summary_dict(self.summary),
                    )
        finally:
            db.close()
        return self.summary

    def _execute(self, state: State) -> None:
        lines = self._import(state)
        client = self._client or FlowtlyClient(self._client_settings())
        try:
            if not self.request.dry_run:
                self._finish_earlier_postings(state, client)
            matches = self._match(state, client, lines)
            if not self.request.dry_run:
                matches = self._post(state, client, matches)
                state.record_decisions(self.run_id, matches, keep_new=self._retry_later)
        finally:
            if self._client is None:
                client.close()
        self._tally(matches)
        report_dir = self.settings.reports / self.run_id
        self.summary.report_dir = str(report_dir)
        write_report(report_dir, self.summary, matches)

    def _client_settings(self) -> ClientSettings:
        self.settings.require_token()
        return ClientSettings(
            base_url=self.settings.api_url,
            token=self.settings.token,
            timeout_seconds=self.settings.timeout_seconds,
            max_retries=self.settings.max_retries,
            max_retry_seconds=self.settings.max_retry_seconds,
            requests_per_second=self.settings.requests_per_second,
            items_per_page=self.settings.items_per_page,
        )

    # -- import --------------------------------------------------------------------------------------

    def _import(self, state: State) -> list[BankLine]:
        explicit = bool(self.request.statements)
        paths = list(self.request.statements) if explicit else inbox_files(self.settings.inbox)
        self.progress.stage("Reading statements", len(paths))
        lines: dict[str, BankLine] = {}
        for n, path in enumerate(paths, start=1):
            self.progress.advance(n)
            for line in self._import_file(state, path, explicit=explicit):
                lines.setdefault(line.line_id, line)
        if not self.request.dry_run:
            # Lines stored by an earlier run that stopped before deciding them.
            for line in state.lines_with_status("new"):
                lines.setdefault(line.line_id, line)
        return list(lines.values())

    def _import_file(self, state: State, path: Path, *, explicit: bool) -> list[BankLine]:
        name = path.name
        try:
            digest = file_hash(path)
            if not explicit and state.file_imported(digest):
                self.summary.files_skipped.append(name)
                if not self.request.dry_run:
                    _move_aside(path, self.settings.inbox / "processed")
                return []
            parsed = read_statement(path, self.readers)
        except StatementError as exc:
            self.summary.errors.append({"file": name, "error": str(exc)})
            if not explicit and not self.request.dry_run:
                _move_aside(path, self.settings.inbox / "failed", reason=str(exc))
            return []
        except OSError as exc:
            self.summary.errors.append(
                {"file": name, "error": f"{name}: cannot be read ({exc.strerror or exc})"}
            )
            return []
        self.summary.files_read.append(name)
        self.summary.warnings.extend(parsed.warnings)
        lines = parsed.lines
        if not self.request.dry_run:
            state.import_file(
                content_hash=digest,
                file_name=name,
                source_format=parsed.source_format,
                lines=lines,
                run_id=self.run_id,
            )
            if not explicit:
                _move_aside(path, self.settings.inbox / "processed")
        return lines

    # -- earlier postings ----------------------------------------------------------------------------

    def _finish_earlier_postings(self, state: State, client: FlowtlyClient) -> None:
        """Postings a crashed or cut-off run left in the outbox: looked up first, then sent if absent."""
        pending = state.unfinished_postings()
        if not pending:
            return
        self.progress.stage("Finishing earlier postings", len(pending))
        for n, posting in enumerate(pending, start=1):
            self.progress.advance(n)
            line = state.line(posting.line_id)
            if line is None:  # cannot happen with foreign keys intact; never post blind
                state.note_posting_error(posting, "bank line missing from the state")
                continue
            if self._api_down:
                break
            existing = find_existing(client, posting)
            if existing:
                state.mark_posted(posting, existing, self.run_id)
                continue
            still_open = self._open_amount_now(client, posting)
            if still_open is not None and still_open < posting.amount:
                self._refuse(
                    state,
                    posting,
                    line,
                    f"{posting.invoice_iri} changed since it was matched: "
                    f"{still_open} {posting.currency} open now, {posting.amount} to post; check it",
                )
                continue
            self._send(state, client, posting, line, look_first=False)

    def _open_amount_now(self, client: FlowtlyClient, posting: Posting) -> Decimal | None:
        """The invoice's open amount as Flowtly has it now (None: it is gone or unreadable)."""
        try:
            doc = client.get(posting.invoice_iri)
        except OUTAGES as exc:
            self._api_down = str(exc)
            return None
        except FlowtlyError:
            return Decimal(0)  # deleted or refused: nothing open to post to
        return assumptions.open_amount(doc, ResourceCache(client).get)

    # -- matching and posting ------------------------------------------------------------------------

    def _match(self, state: State, client: FlowtlyClient, lines: list[BankLine]) -> list[Match]:
        statuses = state.line_statuses(line.line_id for line in lines) if lines else {}
        done: list[Match] = []
        todo: list[BankLine] = []
        for line in lines:
            status = statuses.get(line.line_id)
            if status in ("posted", "posting"):
                targets = ", ".join(p.invoice_iri for p in state.posted_to(line.line_id)) or "an invoice"
                verb = "already posted to" if status == "posted" else "posting in progress to"
                done.append(Match(line, Decision.IGNORED, note=f"{verb} {targets}"))
            else:
                todo.append(line)
        if not todo:
            return done
        self.progress.stage("Fetching open invoices from Flowtly")
        issued_after = date.today() - timedelta(days=self.settings.lookback_days)
        invoices = fetch_open_invoices(client, issued_after=issued_after, on_progress=self.progress.advance)
        self.summary.open_invoices = len(invoices)
        self.progress.stage("Matching", len(todo))
        return done + match_lines(todo, invoices, self.rules, on_progress=self.progress.advance)

    def _post(self, state: State, client: FlowtlyClient, matches: list[Match]) -> list[Match]:
        to_post = [i for i, m in enumerate(matches) if m.decision is Decision.POSTED]
        if not to_post:
            return matches
        self.progress.stage("Posting to Flowtly", len(to_post))
        out = list(matches)
        for n, i in enumerate(to_post, start=1):
            self.progress.advance(n)
            m = out[i]
            assert m.chosen is not None
            if self._api_down:
                self._retry_later.add(m.line.line_id)
                out[i] = replace(
                    m,
                    decision=Decision.REVIEW,
                    suggestions=(m.chosen,),
                    chosen=None,
                    note=f"not posted: Flowtly stopped answering ({self._api_down}); "
                    "the next run matches it again",
                )
                continue
            posting = Posting(
                line_id=m.line.line_id,
                bank_ref=m.line.bank_ref,
                invoice_iri=m.chosen.invoice.iri,
                amount=m.chosen.allocated_amount,
                currency=m.chosen.invoice.currency,
                booking_date=m.line.booking_date,
                run_id=self.run_id,
            )
            if not state.enqueue_posting(posting):
                out[i] = replace(m, decision=Decision.IGNORED, note="already posted or being posted")
                continue
            outcome = self._send(state, client, posting, m.line, look_first=False)
            if outcome is not None:
                out[i] = replace(
                    m, decision=Decision.REVIEW, suggestions=(m.chosen,), chosen=None, note=outcome
                )
        return out

    def _send(
        self, state: State, client: FlowtlyClient, posting: Posting, line: BankLine, *, look_first: bool
    ) -> str | None:
        """Post one invoice-transaction; None when it is in Flowtly, else why it is not (yet)."""
        state.mark_sending(posting)
        try:
            remote = create_once(client, posting, line, look_first=look_first)
        except OUTAGES as exc:
            self._api_down = str(exc)
            state.note_posting_error(posting, str(exc))
            self.summary.postings_failed += 1
            self.summary.errors.append({"line": line.bank_ref or line.line_id, "error": str(exc)})
            return (
                f"posting to {posting.invoice_iri} not confirmed ({exc}); reconcile finishes it on the next run "
                "- do not post it by hand"
            )
        except FlowtlyError as exc:  # refused for this posting alone (422, 400, 404, 409): a person decides
            return self._refuse(state, posting, line, f"Flowtly refused the posting: {exc}")
        state.mark_posted(posting, remote, self.run_id)
        return None

    def _refuse(self, state: State, posting: Posting, line: BankLine, reason: str) -> str:
        state.mark_refused(posting, reason, self.run_id)
        self.summary.errors.append({"line": line.bank_ref or line.line_id, "error": reason})
        return reason

    # -- summary -------------------------------------------------------------------------------------

    def _tally(self, matches: list[Match]) -> None:
        counts = {d.value: 0 for d in Decision}
        amounts: dict[str, dict[str, Decimal]] = {d.value: {} for d in Decision}
        for m in matches:
            counts[m.decision.value] += 1
            per_ccy = amounts[m.decision.value]
            per_ccy[m.line.currency] = per_ccy.get(m.line.currency, Decimal(0)) + m.line.amount
        self.summary.counts = counts
        self.summary.amounts = {d: {c: f"{a:f}" for c, a in sorted(v.items())} for d, v in amounts.items()}


def run(
    settings: Settings,
    request: RunRequest,
    *,
    progress: Progress | None = None,
    readers: Sequence[StatementReader] | None = None,
    client: FlowtlyClient | None = None,
) -> RunSummary:
    return Run(settings, request, progress=progress, readers=readers, client=client).execute()
