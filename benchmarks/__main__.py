"""`make bench`: print speed and memory figures for parsing, matching and the API client."""

from __future__ import annotations

import argparse
import importlib.util

from benchmarks.harness import in_subprocess, table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--lines", type=int, default=100_000, help="lines per statement file")
    parser.add_argument("--only", choices=["parsing", "matching", "client"], help="run one group")
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
    if args.only in (None, "matching"):
        print("Matching (blocking + scoring + decisions)")
        rows = [
            in_subprocess("benchmarks.matching", "match_bench", inv, lines)
            for inv, lines in ((10_000, 10_000), (10_000, 100_000))
        ]
        print(
            table(
                rows, ["invoices", "lines", "seconds", "lines_per_s", "posted", "review", "peak_mib", "error"]
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


if __name__ == "__main__":
    main()
