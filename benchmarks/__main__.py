"""`make bench`: print speed and memory figures for parsing, matching and the API client, and the matching
engine's precision and recall on a synthetic corpus with known truth."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.harness import in_subprocess, table

ACCURACY_SIZE = 20_000
SCALE_SIZE = 100_000
LARGE_SIZE = 1_000_000
SEED = 2026


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--lines", type=int, default=100_000, help="lines per statement file")
    parser.add_argument(
        "--only", choices=["parsing", "client", "accuracy", "scale"], help="run one group"
    )
    parser.add_argument(
        "--size", type=int, default=ACCURACY_SIZE, help="bank lines and open invoices of the accuracy corpus"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic corpus")
    parser.add_argument(
        "--rules", type=Path, help="rules file the accuracy benchmark measures (default: the shipped rules)"
    )
    parser.add_argument(
        "--large",
        action="store_true",
        default=os.environ.get("RECONCILE_BENCH_LARGE", "") not in ("", "0"),
        help=f"engine scale at {LARGE_SIZE:,} x {LARGE_SIZE:,} instead of {SCALE_SIZE:,} (or RECONCILE_BENCH_LARGE=1)",
    )
    args = parser.parse_args()

    if args.only in (None, "parsing"):
        from benchmarks.parsing import FORMATS

        print(f"Statement parsing, {args.lines:,} lines per file (one process per format)")
        rows = []
        for fmt in FORMATS:
            if importlib.util.find_spec(f"reconcile.statements.writers.{fmt}") is None:
                rows.append({"format": fmt, "error": "no writer yet"})
                continue
            rows.append({"format": fmt, **in_subprocess("benchmarks.parsing", "parse_one", fmt, args.lines)})
        print(
            table(
                rows,
                [
                    "format",
                    "lines",
                    "file_mib",
                    "seconds",
                    "lines_per_s",
                    "peak_mib",
                    "inside_ofxparse",
                    "error",
                ],
            )
        )
        print()
    if args.only in (None, "client"):
        print("Fetching open invoices from a local sandbox")
        rows = [in_subprocess("benchmarks.client", "fetch_bench", n) for n in (10_000,)]
        print(table(rows, ["invoices", "requests", "mib_received", "seconds", "peak_mib", "error"]))
        print()
        print("A whole run against a local sandbox: import, fetch, match, post every open invoice once")
        rows = [in_subprocess("benchmarks.client_run", "run_bench", n) for n in (1_000, 10_000)]
        print(table(rows, [*sorted({k for r in rows for k in r if k != "error"}), "error"]))
        print()
    if args.only in (None, "accuracy"):
        accuracy(args.size, args.seed, args.rules)
        print()
    if args.only in (None, "scale"):
        scale(LARGE_SIZE if args.large else SCALE_SIZE, args.seed)


@contextmanager
def running(what: str) -> Iterator[None]:
    """A line on stderr saying what runs, when someone watches a terminal; erased when it is done."""
    shown = sys.stderr.isatty()
    if shown:
        sys.stderr.write(f"\r{what} ...")
        sys.stderr.flush()
    try:
        yield
    finally:
        if shown:
            sys.stderr.write("\r" + " " * (len(what) + 4) + "\r")
            sys.stderr.flush()


def accuracy(size: int, seed: int, rules: Path | None = None) -> None:
    from benchmarks.accuracy import COLUMNS, LEGEND

    with running(f"accuracy: {size:,} lines x {size:,} invoices"):
        result = in_subprocess(
            "benchmarks.accuracy", "accuracy_bench", size, size, seed, str(rules) if rules else None
        )
    print(f"Matching accuracy: {size:,} bank lines against {size:,} open invoices (synthetic, seed {seed})")
    if rules:
        print(f"rules: {rules}")
    if "error" in result:
        print(f"error: {result['error']}")
        return
    fan = result["fanout"]
    print(
        f"engine through {result['seam']}: {result['engine_seconds']} s; corpus made in {result['corpus_seconds']} s; "
        f"{fan['clients']:,} clients sharing {fan['distinct_name_words']} name words, up to "
        f"{fan['invoices_per_client_max']} invoices per client, up to {fan['most_invoices_with_one_amount']:,} "
        f"invoices with one amount"
    )
    print(table(result["engine"], COLUMNS))
    print()
    print("Naive rule on the same corpus: invoice number verbatim in the title and the exact open amount")
    print(table(result["naive"], COLUMNS))
    print()
    print(LEGEND)
    for kind, why in result["skipped"].items():
        print(f"not in the corpus: {kind}: {why}")


def scale(size: int, seed: int) -> None:
    print(
        f"Matching engine alone, {size:,} bank lines against {size:,} open invoices (corpus and tables not timed)"
    )
    rows: list[dict[str, Any]] = []
    for seam in ("match_tables", "match_lines"):
        counted = any(k.startswith("candidates") for r in rows for k in r)  # once is enough
        with running(f"engine scale: {seam}, {size:,} x {size:,}"):
            rows.append(
                in_subprocess("benchmarks.engine_scale", "scale_bench", size, size, seam, not counted, seed)
            )
    columns = ["seam", "seconds", "lines_per_s", "corpus_mib", "engine_peak_mib", "engine_mib", "peak_mib",
               "auto_post", "review", "unmatched", "ignored", "error"]  # fmt: skip
    print(table(rows, columns))
    print("corpus_mib: resident when the engine is called (match_tables: with the tables alone, match_lines: with")
    print("the corpus's values); engine_peak_mib: peak during the call;")
    print("engine_mib: their difference; peak_mib: the whole process, making the corpus included")
    with_candidates = [r for r in rows if any(k.startswith("candidates") for k in r)]
    if with_candidates:
        print()
        print("Candidate pairs scored per money-in line")
        names = ["candidates_avg", "candidates_p50", "candidates_p99", "candidates_max", "candidates_of",
                 "candidates_note"]  # fmt: skip
        print(table(with_candidates, ["seam", *names]))


if __name__ == "__main__":
    main()
