"""Statement parsing speed and memory per format, on files the benchmark writes itself."""

from __future__ import annotations

import importlib
import tempfile
import time
from pathlib import Path
from typing import Any

FORMATS = ["camt", "mt940", "ofx", "csv", "bai2"]


def parse_one(fmt: str, n_lines: int) -> dict[str, Any]:
    """Write an n-line file of `fmt`, then time reading it through the registry (detection included)."""
    from reconcile.statements.registry import read_statement

    writer = importlib.import_module(f"reconcile.statements.writers.{fmt}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench.{fmt}"
        writer.write_benchmark_file(path, n_lines)
        size = path.stat().st_size
        started = time.perf_counter()
        parsed = read_statement(path)
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "format": fmt,
            "lines": len(parsed.lines),
            "file_mib": round(size / 2**20, 1),
            "seconds": round(seconds, 2),
            "lines_per_s": int(len(parsed.lines) / seconds) if seconds else 0,
        }
        if fmt == "ofx":
            ofx = importlib.import_module("reconcile.statements.ofx")
            if hasattr(ofx, "parse_timed"):
                _, inside = ofx.parse_timed(path)
                started = time.perf_counter()
                ofx.parse_timed(path)
                total = time.perf_counter() - started
                result["inside_ofxparse"] = f"{inside / total:.0%}" if total else "?"
        return result
