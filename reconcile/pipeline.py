"""One run: import statements -> finish earlier postings -> fetch open invoices -> match -> post -> report.

The order is what makes a run safe to kill at any point: lines are stored before anything is posted, a
posting is recorded before its request leaves, and a posting whose answer was lost is looked up on the
next run before it is sent again. A run that Flowtly stops (no answer, a refused token, an outage) still
decides what needs no invoice, leaves the rest `new` for the next run, and writes its report. Nothing here
prints; progress goes through the `Progress` callback.
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
from reconcile.flowtly.client import FlowtlyClient
from reconcile.flowtly.invoices import ResourceCache, fetch_invoices
from reconcile.flowtly.postings import create_once, find_existing
from reconcile.matching.engine import match_lines
from reconcile.model import (
    BankLine,
    Decision,
    EarlierLines,
    FileRead,
    Match,
    Posting,
    RunSummary,
    Total,
    Undecided,
)
from reconcile.reporting.report import IGNORED_KINDS, summary_dict, write_report
from reconcile.rules import load_rules
from reconcile.statements.base import StatementReader
from reconcile.statements.registry import default_readers, read_statement
from reconcile.store.db import Row, open_database
from reconcile.store.learned import LearnedPayers
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
        self.readers = readers if readers is not None else default_readers(settings.csv_profiles, settings.encodings)
        self.rules = load_rules(settings.rules)
        self.run_id = new_run_id()
        self.summary = RunSummary(run_id=self.run_id, dry_run=request.dry_run)
        self._client = client
        self._undecided: list[Undecided] = []  # lines left `new`, decided by the next run
        self._ignored_kind: dict[str, str] = {}  # line id -> kind, for lines ignored by the pipeline
        self._contents_read: dict[str, str] = {}  # content hash -> the name it was read under in this run
        self._learned: LearnedPayers | None = None

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
                    status = self.summary.status
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
        client = self._client or FlowtlyClient(self.settings.client_settings())
        try:
            if not self.request.dry_run:
                self._finish_earlier_postings(state, client)
            matches = self._match(state, client, lines)
            if not self.request.dry_run:
                matches = self._post(state, client, matches)
                state.record_decisions(self.run_id, matches)  # the undecided lines stay `new`
        finally:
            if self._client is None:
                client.close()
        if self.summary.stopped and not any(e["error"] == self.summary.stopped for e in self.summary.errors):
            self.summary.errors.append({"error": self.summary.stopped})
        self._tally(matches)
        report_dir = self.settings.reports / self.run_id
        self.summary.report_dir = str(report_dir)
        write_report(report_dir, self.summary, matches, self._undecided)

    def _stop(self, exc: FlowtlyError) -> None:
        """Flowtly cannot take more work now: nothing more is sent or fetched in this run."""
        if self.summary.stopped is None:
            log.info("stopping work with Flowtly: %s", exc)
            self.summary.stopped = str(exc)

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
            self._take_up_earlier_lines(state, lines)
        return list(lines.values())

    def _take_up_earlier_lines(self, state: State, lines: dict[str, BankLine]) -> None:
        """Lines an earlier run stored and left undecided (it stopped or was cut off): decided now."""
        by_run: dict[str | None, EarlierLines] = {}
        for line, run_id, started_at in state.undecided_lines():
            if line.line_id in lines:
                continue  # also in a file of this run: that file is where it comes from
            lines[line.line_id] = line
            seen = by_run.get(run_id)
            by_run[run_id] = EarlierLines(run_id, started_at, (seen.lines if seen else 0) + 1)
        self.summary.earlier_lines = sorted(
            by_run.values(), key=lambda e: (e.started_at or "", e.run_id or "")
        )

    def _import_file(self, state: State, path: Path, *, explicit: bool) -> list[BankLine]:
        """Read one file and store its lines; a file imported before is read again and its lines not yet
        posted are decided again, whether it was given or found in the inbox (its lines are stored once)."""
        name = path.name
        try:
            digest = file_hash(path)
            if digest in self._contents_read:  # given twice, or twice in the inbox under two names
                self.summary.files_skipped.append(name)
                self.summary.files.append(FileRead(name, same_as=self._contents_read[digest]))
                if not explicit and not self.request.dry_run:
                    _move_aside(path, self.settings.inbox / "processed")
                return []
            earlier = state.file_imported(digest)
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
        self._contents_read[digest] = name
        lines = parsed.lines
        self.summary.files_read.append(name)
        self.summary.files.append(self._file_read(state, name, parsed.source_format, lines, earlier))
        self.summary.warnings.extend(parsed.warnings)
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

    @staticmethod
    def _file_read(
        state: State, name: str, source_format: str, lines: list[BankLine], earlier: Row | None
    ) -> FileRead:
        statuses = state.line_statuses(line.line_id for line in lines) if lines else {}
        known = [statuses[line.line_id] for line in lines if line.line_id in statuses]
        return FileRead(
            name=name,
            source_format=source_format,
            lines=len(lines),
            new_lines=len(lines) - len(known),
            already_posted=known.count("posted"),
            posting_in_progress=known.count("posting"),
            imported_before=earlier["first_run_id"] if earlier else None,
            imported_at=earlier["imported_at"] if earlier else None,
            imported_as=earlier["file_name"] if earlier else None,
        )

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
            if self.summary.stopped:
                break
            try:
                existing = find_existing(client, posting)
            except OUTAGES as exc:
                self._stop(exc)
                break
            except FlowtlyError as exc:  # never post without a look: it stays in the outbox
                state.note_posting_error(posting, str(exc))
                self.summary.errors.append({"line": line.bank_ref or line.line_id, "error": str(exc)})
                continue
            if existing:
                state.mark_posted(posting, existing, self.run_id)
                continue
            still_open = self._open_amount_now(client, posting)
            if self.summary.stopped:
                break  # not sent blind: the next run looks it up again
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
            self._stop(exc)
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
                done.append(self._ignore(line, status, f"{verb} {targets}"))
            else:
                todo.append(line)
        if not todo:
            return done
        if not self.summary.stopped:
            self.progress.stage("Fetching open invoices from Flowtly")
            issued_after = date.today() - timedelta(days=self.settings.lookback_days)
            try:
                book = fetch_invoices(client, issued_after=issued_after, on_progress=self.progress.advance)
            except FlowtlyError as exc:  # without the open invoices nothing can be matched
                self._stop(exc)
        if self.summary.stopped:
            return done + self._decide_without_invoices(todo)
        self.summary.open_invoices = len(book.open)
        self.progress.stage("Matching", len(todo))
        payers = self._payers(state)
        learned, never = payers.frame(), payers.never_frame()
        invoices = [*book.open, *book.paid]  # the engine tells a paid one by its open amount, 0
        return done + match_lines(
            todo, invoices, self.rules, learned=learned, never=never, on_progress=self.progress.advance
        )

    def _payers(self, state: State) -> LearnedPayers:
        if self._learned is None:
            self._learned = LearnedPayers(state.db)
        return self._learned

    def _ignore(self, line: BankLine, status: str, note: str) -> Match:
        self._ignored_kind[line.line_id] = "already_posted" if status == "posted" else "posting_in_progress"
        return Match(line, Decision.IGNORED, note=note)

    @property
    def _not_matched(self) -> str:
        why = "not matched: the run could not get the open invoices from Flowtly (see the error)"
        return why if self.request.dry_run else f"{why}; the line is kept and the next run matches it"

    def _decide_without_invoices(self, lines: list[BankLine]) -> list[Match]:
        """Flowtly stopped the run before matching: money out and zero lines are still decided (they need
        no invoice); every payment stays undecided, stored, for the next run."""
        decided: list[Match] = []
        for m in match_lines(lines, [], self.rules):
            if m.decision is Decision.IGNORED:
                decided.append(m)
            else:
                self._undecided.append(Undecided(m.line, self._not_matched))
        return decided

    def _post(self, state: State, client: FlowtlyClient, matches: list[Match]) -> list[Match]:
        """Post every auto_post line's allocations: the line is `posted` once Flowtly has them all."""
        to_post = [i for i, m in enumerate(matches) if m.decision is Decision.AUTO_POST]
        if not to_post:
            return matches
        self.progress.stage("Posting to Flowtly", len(to_post))
        out: list[Match | None] = list(matches)
        for n, i in enumerate(to_post, start=1):
            self.progress.advance(n)
            m = matches[i]
            assert m.chosen is not None
            if self.summary.stopped:
                self._undecided.append(
                    Undecided(
                        m.line,
                        f"matched to {m.chosen.label} but not posted: Flowtly stopped answering "
                        "(see the error); the line is kept and the next run matches it again",
                    )
                )
                out[i] = None
                continue
            postings = [
                Posting(
                    line_id=m.line.line_id,
                    bank_ref=m.line.bank_ref,
                    invoice_iri=a.invoice.iri,
                    amount=a.amount,
                    currency=a.invoice.currency,
                    booking_date=m.line.booking_date,
                    run_id=self.run_id,
                )
                for a in m.chosen.allocations
            ]
            if not state.enqueue_postings(postings):  # another run claimed the line meanwhile
                status = state.line_statuses([m.line.line_id]).get(m.line.line_id, "posting")
                out[i] = self._ignore(m.line, status, "already posted or being posted by another run")
                continue
            out[i] = self._post_allocations(state, client, m, postings)
        return [m for m in out if m is not None]

    def _post_allocations(self, state: State, client: FlowtlyClient, m: Match, postings: list[Posting]) -> Match:
        """Send a line's postings one by one; a refusal or an outage leaves the others to finish or to a
        person, and says which."""
        assert m.chosen is not None
        problems: list[str] = []
        paid_for: dict[str, str | None] = {}  # client iri -> name, of the invoices posted to
        for posting, allocation in zip(postings, m.chosen.allocations, strict=True):
            if self.summary.stopped:
                problems.append(f"posting to {posting.invoice_iri} left in the outbox; the next run finishes it")
                continue
            outcome = self._send(state, client, posting, m.line, look_first=False)
            if outcome is not None:
                problems.append(outcome)
            elif allocation.invoice.client_iri:
                paid_for[allocation.invoice.client_iri] = allocation.invoice.client_name
        if m.line.counterparty_iban:  # who paid, learned for the next runs: once per line and client
            for client_iri, client_name in paid_for.items():
                self._payers(state).confirm(m.line.counterparty_iban, client_iri, client_name, m.line.booking_date)
        if not problems:
            return replace(m, decision=Decision.POSTED)
        done = {p.invoice_iri for p in state.posted_to(m.line.line_id)}
        if done:  # part of a combined payment is in Flowtly: the line is never matched again
            names = ", ".join(a.invoice.name for a in m.chosen.allocations if a.invoice.iri in done)
            return replace(m, decision=Decision.POSTED, note=f"posted to {names}; " + "; ".join(problems))
        return replace(m, decision=Decision.REVIEW, suggestions=(m.chosen,), chosen=None, note="; ".join(problems))

    def _send(
        self, state: State, client: FlowtlyClient, posting: Posting, line: BankLine, *, look_first: bool
    ) -> str | None:
        """Post one invoice-transaction; None when it is in Flowtly, else why it is not (yet)."""
        state.mark_sending(posting)
        try:
            remote = create_once(client, posting, line, look_first=look_first)
        except OUTAGES as exc:
            self._stop(exc)
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
        """Counts and sums per decision, and per kind of ignored line: money in and money out are never
        added into one figure."""
        by_decision: dict[str, list[BankLine]] = {d.value: [] for d in Decision}
        by_kind: dict[str, list[BankLine]] = {kind: [] for kind in IGNORED_KINDS}
        for m in matches:
            by_decision[m.decision.value].append(m.line)
            if m.decision is Decision.IGNORED:
                by_kind.setdefault(self._kind_of_ignored(m.line), []).append(m.line)
        # Only a dry run leaves lines to post (auto_post): a run posts them.
        kept = {d: lines for d, lines in by_decision.items() if d != Decision.AUTO_POST.value or lines}
        self.summary.counts = {d: len(lines) for d, lines in kept.items()}
        self.summary.amounts = {d: _total(lines).amounts for d, lines in kept.items() if d != Decision.IGNORED.value}
        self.summary.ignored = {kind: _total(lines) for kind, lines in by_kind.items()}
        self.summary.undecided = _total([u.line for u in self._undecided])

    def _kind_of_ignored(self, line: BankLine) -> str:
        if line.line_id in self._ignored_kind:
            return self._ignored_kind[line.line_id]
        if line.amount < 0:
            return "money_out"
        return "zero" if line.amount == 0 else "not_invoice"  # money in a rule set aside, named in its note


def _total(lines: list[BankLine]) -> Total:
    """Count and sum per currency of lines of one kind (the caller keeps money in and out apart)."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.amount
    return Total(len(lines), {c: f"{a:f}" for c, a in sorted(sums.items())})


def run(
    settings: Settings,
    request: RunRequest,
    *,
    progress: Progress | None = None,
    readers: Sequence[StatementReader] | None = None,
    client: FlowtlyClient | None = None,
) -> RunSummary:
    return Run(settings, request, progress=progress, readers=readers, client=client).execute()
