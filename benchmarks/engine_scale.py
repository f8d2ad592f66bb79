"""Seconds and memory of the matching engine alone on a large synthetic corpus, and the candidates it scores.

Generating the corpus and building its tables are not timed. Memory is read from Linux's /proc: the resident
size when the engine is called (the tables match_tables is given, with the generator's values dropped; the
values, for match_lines) and the peak during the call, whose difference is the engine's own. Run in a process of its own (benchmarks.harness.in_subprocess); figures only, never asserts.
"""

from __future__ import annotations

import gc
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.corpus import make_corpus
from benchmarks.engine_adapter import candidates_per_line, match_lines, outcomes
from reconcile.matching import match_tables
from reconcile.rules import load_rules

DEFAULT_SEED = 2026
_STATUS = Path("/proc/self/status")


def _status_mib(field: str) -> float | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return round(int(found.group(1)) / 1024, 1) if found else None


def _reset_peak() -> bool:
    """Start the peak resident size (VmHWM) afresh, so that it is the engine's call's (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def scale_bench(
    n_invoices: int,
    n_lines: int,
    seam: str = "match_tables",
    count_candidates: bool = True,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """The engine once through `seam` (match_tables on tables, or match_lines on values)."""
    rules = load_rules()
    started = time.perf_counter()
    corpus = make_corpus(n_invoices, n_lines, seed)
    result: dict[str, Any] = {"seam": seam, "invoices": n_invoices, "lines": n_lines}
    if seam == "match_tables":
        tables = (corpus.line_frame(), corpus.invoice_frame())
        # A run holds the tables it matches, not the generator's millions of Python objects (2.5 GB at 1M):
        # gone, they no longer count in the resident size and its peak.
        del corpus

        def engine() -> Any:
            return match_tables(*tables, rules)

    else:

        def engine() -> Any:
            return match_lines(corpus, rules)

    result["corpus_seconds"] = round(time.perf_counter() - started, 1)
    gc.collect()
    before = _status_mib("VmRSS")
    own_peak = _reset_peak()
    started = time.perf_counter()
    answer = engine()
    seconds = time.perf_counter() - started
    peak = _status_mib("VmHWM") if own_peak else None
    decided = Counter(o.decision for o in outcomes(answer).values())
    del answer
    result |= {
        "seconds": round(seconds, 2),
        "lines_per_s": int(n_lines / seconds) if seconds else 0,
        "corpus_mib": before,
        "engine_peak_mib": peak,
        "engine_mib": round(peak - before, 1) if peak is not None and before is not None else None,
        **{d: decided[d] for d in ("auto_post", "review", "unmatched", "ignored")},
    }
    if count_candidates:
        if seam != "match_tables":
            tables = (corpus.line_frame(), corpus.invoice_frame())
        result |= candidates_per_line(*tables, rules)
    return result
