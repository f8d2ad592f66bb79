"""The command line: arguments in, exit codes out. The only module that prints or exits.

Exit codes: 0 all done; 1 something needs attention (a file failed, a posting is left, the API refused);
2 wrong usage or configuration; 70 a bug (traceback with --debug, else one line pointing to it).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

import click

from reconcile import __version__
from reconcile.config import Settings, load_settings
from reconcile.errors import ConfigError, ReconcileError, RulesError
from reconcile.model import Decision, RunSummary
from reconcile.progress import TerminalProgress, wants_progress_bar
from reconcile.reporting.report import (
    IGNORED_KINDS,
    UNDECIDED,
    describe_earlier,
    describe_file,
    describe_stop,
    summary_dict,
)

EXIT_ATTENTION = 1
EXIT_USAGE = 2
EXIT_BUG = 70

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, config: Path | None, debug: bool) -> None:
        self.config = config
        self.debug = debug

    def settings(self) -> Settings:
        return load_settings(self.config)


def fail(message: str, code: int = EXIT_ATTENTION) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def guarded(func: F) -> F:
    """Turn our errors into one line and an exit code; anything else is a bug and says so."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_object(Context) and ctx.find_object(Context).debug)  # type: ignore[union-attr]
        try:
            return func(*args, **kwargs)
        except (ConfigError, RulesError) as exc:
            fail(str(exc), EXIT_USAGE)
        except ReconcileError as exc:
            fail(str(exc), EXIT_ATTENTION)
        except KeyboardInterrupt:
            fail("interrupted; nothing half-done is lost: the next run finishes it", 130)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            else:
                logging.getLogger("reconcile").error("unexpected error", exc_info=True)
            fail(
                f"reconcile hit a bug ({type(exc).__name__}: {exc}). Run again with --debug for the "
                "details and report them.",
                EXIT_BUG,
            )

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def _progress() -> Any:
    return TerminalProgress() if wants_progress_bar() else nullcontext(None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconcile")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="reconcile.toml to use (default: $RECONCILE_CONFIG, else ./reconcile.toml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and detailed logs.")
@click.option("-v", "--verbose", is_flag=True, help="Log what the run does (to standard error).")
@click.pass_context
def main(ctx: click.Context, config: Path | None, debug: bool, verbose: bool) -> None:
    """Match bank statement lines to open Flowtly invoices, post the sure ones, report the rest."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)
    ctx.obj = Context(config, debug)


def _row(label: str, count: int, amounts: dict[str, str], indent: int = 2) -> str:
    text = ", ".join(f"{a} {c}" for c, a in amounts.items())
    return f"{' ' * indent}{label:<{24 - indent}} {count:>5}" + (f"   {text}" if text else "")


def _headline(summary: RunSummary) -> str:
    title = "Dry run" if summary.dry_run else "Run"
    parts = [f"{len(summary.files_read)} file(s) read"]
    earlier = sum(e.lines for e in summary.earlier_lines)
    if earlier:
        parts.append(f"{earlier} line(s) from earlier runs")
    if summary.open_invoices is not None:
        parts.append(f"{summary.open_invoices} open invoice(s) considered")
    elif summary.stopped:
        parts.append("no open invoices fetched")
    return f"{title} {summary.run_id}: " + ", ".join(parts)


def print_summary(summary: RunSummary, as_json: bool) -> None:
    """The summary on standard output; errors on standard error, the reason of a stop last of all."""
    data = summary_dict(summary)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(_headline(summary))
        for f in summary.files:
            click.echo(f"  {describe_file(f)}")
        for e in summary.earlier_lines:
            click.echo(f"  {describe_earlier(e)}")
        for d in Decision:
            if d is Decision.AUTO_POST and not summary.counts.get(d.value):
                continue  # only a dry run leaves lines to post: a run posts them
            if d is Decision.IGNORED:
                click.echo(_row(d.value, summary.counts.get(d.value, 0), {}))
                for kind, total in summary.ignored.items():
                    if total.count:
                        click.echo(_row(IGNORED_KINDS.get(kind, kind), total.count, total.amounts, indent=4))
            else:
                click.echo(_row(d.value, summary.counts.get(d.value, 0), summary.amounts.get(d.value, {})))
        if summary.undecided.count:
            click.echo(_row(UNDECIDED, summary.undecided.count, summary.undecided.amounts))
        for warning in summary.warnings:
            click.echo(f"  warning: {warning}")
        for err in summary.errors:
            if err["error"] != summary.stopped:  # the reason of a stop is the last line, below
                click.echo(f"  error: {err['error']}", err=True)
        if summary.stopped:
            click.echo(describe_stop(summary))
        click.echo(f"Report: {Path(summary.report_dir) / 'report.html'}")
    if summary.stopped:
        click.echo(f"Error: {summary.stopped}", err=True)


@main.command("run")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--statement",
    "statements",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A statement file to process (repeatable; the same as giving it as an argument).",
)
@click.option("--dry-run", is_flag=True, help="Match and report, but post nothing and remember nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on standard output.")
@click.pass_obj
@guarded
def run_command(
    obj: Context, files: Sequence[Path], statements: Sequence[Path], dry_run: bool, as_json: bool
) -> None:
    """Reconcile statement files against Flowtly's open invoices: `reconcile run a.xml b.sta`.

    With no files, the files in the inbox. A file imported before is read again: its lines already posted
    are listed as such and the others decided again. Lines an earlier run left undecided are decided too
    (not in a dry run).
    """
    from reconcile.pipeline import RunRequest, run

    given = (*files, *statements)
    for path in given:
        if path.is_dir():
            fail(f"{path}: is a folder; give the statement files in it", EXIT_USAGE)
        if not path.is_file():
            fail(f"{path}: no such statement file", EXIT_USAGE)
    try:
        settings = obj.settings()
        settings.require_token()
        with _progress() as progress:
            summary = run(settings, RunRequest(statements=given, dry_run=dry_run), progress=progress)
    except ReconcileError as exc:  # nothing was run (a setting, the state, another run's lock)
        if as_json:  # a machine still gets an object to read, with the reason in it
            failed = {"run_id": None, "status": "failed", "stopped": str(exc), "errors": [{"error": str(exc)}]}
            click.echo(json.dumps(failed, indent=2, ensure_ascii=False))
        raise
    print_summary(summary, as_json)
    if summary.needs_attention:
        sys.exit(EXIT_ATTENTION)


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.pass_obj
@guarded
def parse_command(obj: Context, files: Sequence[Path], fmt: str) -> None:
    """Show the lines of statement files as reconcile reads them (check a new bank's file first)."""
    from reconcile.statements.registry import default_readers, read_statement
    from reconcile.statements.show import lines_as_csv, lines_as_json, print_tables

    settings = obj.settings()
    readers = default_readers(settings.csv_profiles, settings.encodings)
    parsed, failed = [], 0
    for path in files:
        try:
            parsed.append(read_statement(path, readers))
        except ReconcileError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed += 1
    if fmt == "csv":
        click.echo(lines_as_csv(parsed), nl=False)
    elif fmt == "json":
        click.echo(lines_as_json(parsed))
    else:
        print_tables(parsed)
    if failed:
        sys.exit(EXIT_ATTENTION)


def _rules_option(help_text: str) -> Callable[[F], F]:
    """`--rules FILE` (a rules file that must not be a folder), as explain and backtest take it."""
    return click.option(
        "--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False), help=help_text
    )


@main.command("explain")
@click.argument("bank_ref")
@click.option("--account", help="The account the line is on, when the reference is on several accounts.")
@_rules_option("Rules file to explain with (default: the configured rules, else the shipped ones).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON (a list, one per line).")
@click.pass_obj
@guarded
def explain_command(
    obj: Context, bank_ref: str, account: str | None, rules_file: Path | None, as_json: bool
) -> None:
    """Why a stored bank line gets its decision: `reconcile explain 2026112001`.

    Matches the line (by bank reference or line id) against the invoices a run would fetch now and shows
    each option ranked, with every comparison's level, Bayes factor and detail, the reason for the
    decision, the postings already made and the decision the run stored. A line already posted is matched
    as it was before its postings. Lines on several accounts with one reference are each explained.
    """
    from reconcile.explain import as_dict, as_text, explain

    explanations = explain(obj.settings(), bank_ref, account=account, rules_path=rules_file)
    if as_json:
        click.echo(json.dumps([as_dict(e) for e in explanations], indent=2, ensure_ascii=False))
    else:
        click.echo(as_text(explanations))


@main.command("backtest")
@_rules_option("Proposed rules file to measure against the current rules.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures and the changed lines as JSON.")
@click.pass_obj
@guarded
def backtest_command(obj: Context, rules_file: Path | None, as_json: bool) -> None:
    """Measure a rule change on the stored payments: `reconcile backtest --rules proposed.toml`.

    Replays every stored payment with the current rules and with the proposed ones, against the invoices as
    they were (those open now, given back what our postings took), and prints auto-posted, correct, wrong,
    precision and recall against the confirmed postings, and the lines decided otherwise. Lines left to a
    person have no known truth and are counted apart. The synthetic benchmark corpus measures the same
    rules: `python -m benchmarks --only accuracy --rules proposed.toml`.
    """
    from reconcile.backtest import as_dict, as_text, backtest

    result = backtest(obj.settings(), rules_file)
    if as_json:
        click.echo(json.dumps(as_dict(result), indent=2, ensure_ascii=False))
    else:
        click.echo(as_text(result))


@main.command("demo")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-output"),
    show_default=True,
    help="Where the demo keeps its state and reports.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
@guarded
def demo_command(obj: Context, workdir: Path, as_json: bool) -> None:
    """Run on the bundled sample statements against a local Flowtly sandbox (no setup needed)."""
    from reconcile.demo import run_demo

    with _progress() as progress:
        summary = run_demo(workdir, progress=progress)
    print_summary(summary, as_json)


@main.command("sandbox")
@click.option(
    "--seed",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help='JSON file {"clients": [...], "invoices": [...]} in the API\'s JSON-LD shape.',
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", default="sandbox-token", show_default=True, help="The bearer token it accepts.")
@click.option(
    "--hydra-prefix/--no-hydra-prefix",
    default=True,
    show_default=True,
    help="hydra:member (API Platform 2/3) or member (API Platform 4).",
)
@click.option("--max-page-size", default=100, show_default=True, type=click.IntRange(1))
@click.option(
    "--partial-pagination", is_flag=True, help="Omit totalItems and last, as partial pagination does."
)
@click.option(
    "--fail-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of requests answered 500/503."
)
@click.option("--latency-ms", default=0, type=click.IntRange(0), help="Delay added to every request.")
@click.option("--rate-limit", default=None, type=click.IntRange(1), help="Requests per second before 429.")
@click.option(
    "--drop-after-commit-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of writes stored but answered with a dropped connection or 502.",
)
@click.option("--fault-seed", default=None, type=int, help="Seed for the random faults (reproducible runs).")
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the sandbox's data in this file across restarts.",
)
@guarded
def sandbox_command(
    seed: Path,
    host: str,
    port: int,
    token: str,
    hydra_prefix: bool,
    max_page_size: int,
    partial_pagination: bool,
    fail_rate: float,
    latency_ms: int,
    rate_limit: int | None,
    drop_after_commit_rate: float,
    fault_seed: int | None,
    state_file: Path | None,
) -> None:
    """Serve a local Flowtly-compatible API (for trying reconcile and for tests)."""
    from reconcile.flowtly.sandbox import SandboxOptions, load_seed, serve_forever

    options = SandboxOptions(
        token=token,
        hydra_prefix=hydra_prefix,
        max_items_per_page=max_page_size,
        partial_pagination=partial_pagination,
        fail_rate=fail_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        drop_after_commit_rate=drop_after_commit_rate,
        fault_seed=fault_seed,
        state_file=state_file,
    )
    data = load_seed(seed)
    serve_forever(
        data,
        host=host,
        port=port,
        options=options,
        on_ready=lambda sb: click.echo(f"Flowtly sandbox on {sb.url} (Ctrl-C to stop)", err=True),
    )
