"""Bank lines as a polars table keep their amounts exactly."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from reconcile.statements.frame import lines_to_frame
from tests.factories import line


def test_amounts_keep_every_decimal_and_sum_exactly():
    frame = lines_to_frame([line("0.10", ref="A"), line("0.20", ref="B"), line("115.8331", ref="C")])
    assert frame.schema["amount"] == pl.Decimal(38, 4)
    assert frame["amount"].to_list() == [Decimal("0.10"), Decimal("0.20"), Decimal("115.8331")]
    assert frame["amount"].sum() == Decimal("116.1331")


def test_dates_are_dates_and_every_field_is_a_column():
    frame = lines_to_frame([line("1.00", "FV/1", ref="A")])
    assert frame.schema["booking_date"] == pl.Date()
    assert frame.row(0, named=True)["remittance"] == "FV/1"
    assert "line_id" in frame.columns and "source_format" in frame.columns


def test_an_empty_batch_is_an_empty_table_with_the_columns():
    frame = lines_to_frame([])
    assert frame.height == 0 and "amount" in frame.columns
