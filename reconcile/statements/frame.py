"""A batch of bank lines as a polars DataFrame, amounts exact.

Amounts become a Decimal column whose scale is the largest any line needs, so nothing is rounded
(an OFX line with four decimals keeps them); dates are Date columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import polars as pl

from reconcile.model import BankLine

COLUMNS = [f.name for f in fields(BankLine)]


def amount_scale(lines: Sequence[BankLine]) -> int:
    amounts = [line.amount for line in lines]
    amounts += [line.reported_charges for line in lines if line.reported_charges is not None]
    scales = [-int(amount.as_tuple().exponent) for amount in amounts]
    return max([2, *scales])


def lines_to_frame(lines: Sequence[BankLine]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {name: pl.String() for name in COLUMNS}
    schema["amount"] = schema["reported_charges"] = pl.Decimal(38, amount_scale(lines))
    schema["booking_date"] = pl.Date()
    schema["value_date"] = pl.Date()
    data = {name: [getattr(line, name) for line in lines] for name in COLUMNS}
    return pl.DataFrame(data, schema=schema)
