"""reconcile backtest, as a user runs it after a run of the sample statement against a real sandbox."""

from __future__ import annotations

import json
import re

from reconcile.rules import default_rules_path
from tests.conftest import CAMT_SAMPLE, Cli


def run_sample(cli: Cli) -> None:
    done = cli("run", "--statement", str(CAMT_SAMPLE))
    assert done.returncode == 0, done.stderr


def write_strict_rules(cli: Cli) -> str:
    """The shipped rules, asking for 99.9999% before posting."""
    shipped = default_rules_path().read_text(encoding="utf-8")
    strict, n = re.subn(r"(?m)^auto_post_probability = 0\.99\b", "auto_post_probability = 0.999999", shipped)
    assert n == 1
    (cli.workdir / "strict.toml").write_text(strict, encoding="utf-8")
    return "strict.toml"


def test_the_shipped_rules_post_exactly_what_was_confirmed(cli, sandbox):
    run_sample(cli)
    done = cli("backtest", "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # the sample's run posts 9 lines and leaves 4 to a person (2 review, 2 unmatched): test_end_to_end.py
    assert (result["confirmed"], result["left_to_people"]) == (9, 4)
    current = result["current"]
    assert (current["auto_posted"], current["correct"], current["wrong"]) == (9, 9, 0)
    assert (current["precision"], current["recall"]) == (1.0, 1.0)
    assert result["proposed"] is None and result["changes"] == []


def test_stricter_rules_post_less_and_name_the_lines_they_change(cli, sandbox):
    run_sample(cli)
    strict = write_strict_rules(cli)
    done = cli("backtest", "--rules", strict)

    assert done.returncode == 0, done.stderr
    text = done.stdout
    [current] = [row for row in text.splitlines() if "(current)" in row]
    [proposed] = [row for row in text.splitlines() if row.startswith(f"  {strict} ")]
    assert current.split()[-6:] == ["9", "9", "0", "0", "100.0%", "100.0%"]
    assert proposed.split()[-6:] == ["1", "1", "0", "0", "100.0%", "11.1%"]
    assert f"Decided otherwise by {strict}: 8 line(s)" in text
    assert "  2026112001: auto_post FV/2026/10/0101 -> review" in text
    assert "2026112002:" not in text  # its KSeF number still carries it past 99.9999%


def test_nothing_stored_is_said_in_one_line(cli, sandbox):
    done = cli("backtest")

    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: nothing to replay: the state holds no payments yet; run reconcile on some statements first"
    )
