"""Collection filters and pagination with API Platform's semantics, declared once for the server and the docs.

Each filter says which query parameters it reads (the OpenAPI document lists exactly these) and turns
them into a predicate or an ordering. As in API Platform, an unknown parameter or a value a filter cannot
read is silently ignored; only a page number below 1 or a negative page size is refused (400).
One request costs one pass over the table plus a sort when an order is asked for: nothing is cached.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .hydra import ApiProblem, PageSlice
from .resources import INVOICES, parse_api_date

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
Query = list[tuple[str, str]]


@dataclass(frozen=True)
class Param:
    """One query parameter a filter reads, as the OpenAPI document shows it."""

    name: str
    description: str
    type: str = "string"
    many: bool = False


class Filter:
    """A filter: the parameters it reads, and the predicate they make (None when they make none)."""

    def params(self) -> list[Param]:
        raise NotImplementedError

    def predicate(self, query: Query) -> Predicate | None:
        raise NotImplementedError


@dataclass(frozen=True)
class ExactFilter(Filter):
    """SearchFilter 'exact': `status=sent`, or several with `status[]=sent&status[]=created`."""

    field: str
    to_value: Callable[[str], Any] = str

    def params(self) -> list[Param]:
        return [
            Param(self.field, f"Only items whose {self.field} is this value."),
            Param(f"{self.field}[]", f"Only items whose {self.field} is one of these values.", many=True),
        ]

    def predicate(self, query: Query) -> Predicate | None:
        wanted = [v for k, v in query if k == f"{self.field}[]"]
        single = [v for k, v in query if k == self.field]
        if single:
            wanted.append(single[-1])  # PHP keeps the last of repeated plain parameters
        values = {self.to_value(v) for v in wanted} - {None}
        if (
            not values
        ):  # API Platform drops a filter none of whose values it can read ("Invalid filter ignored")
            return None
        return lambda record: record.get(self.field) in values


_DATE_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "before": operator.le,
    "strictly_before": operator.lt,
    "after": operator.ge,
    "strictly_after": operator.gt,
}


@dataclass(frozen=True)
class DateFilter(Filter):
    """DateFilter: `dueDate[before]=2026-05-01`; before/after include the day, strictly_* do not.

    API Platform's default null management is "exclude null": an item without the date never matches.
    """

    field: str

    def params(self) -> list[Param]:
        return [Param(f"{self.field}[{op}]", f"{self.field} {op.replace('_', ' ')} this date (YYYY-MM-DD).")
                for op in _DATE_OPERATORS]  # fmt: skip

    def predicate(self, query: Query) -> Predicate | None:
        tests = []
        for key, value in query:
            op = _bracket(key, self.field)
            bound = parse_api_date(value)
            if op in _DATE_OPERATORS and bound is not None:
                tests.append((_DATE_OPERATORS[op], bound))
        if not tests:
            return None

        def matches(record: Record) -> bool:
            day = parse_api_date(record.get(self.field))
            return day is not None and all(test(day, bound) for test, bound in tests)

        return matches


_RANGE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}  # fmt: skip


@dataclass(frozen=True)
class RangeFilter(Filter):
    """RangeFilter: `amount[between]=10..20` (both ends included), `amount[gt]`, `[gte]`, `[lt]`, `[lte]`."""

    field: str

    def params(self) -> list[Param]:
        return [
            Param(f"{self.field}[between]", f"{self.field} between two numbers, both included: 10..20."),
            *(Param(f"{self.field}[{op}]", f"{self.field} {op} this number.", "number") for op in _RANGE),
        ]

    def predicate(self, query: Query) -> Predicate | None:
        tests: list[tuple[Callable[[Any, Any], bool], Decimal]] = []
        for key, value in query:
            op = _bracket(key, self.field)
            if op == "between":
                low, _, high = value.partition("..")
                lo, hi = _decimal(low), _decimal(high)
                if lo is not None and hi is not None:
                    tests += [(operator.ge, lo), (operator.le, hi)]
            elif op in _RANGE and (bound := _decimal(value)) is not None:
                tests.append((_RANGE[op], bound))
        if not tests:
            return None

        def matches(record: Record) -> bool:
            amount = record.get(self.field)
            return amount is not None and all(test(amount, bound) for test, bound in tests)

        return matches


@dataclass(frozen=True)
class ExistsFilter(Filter):
    """ExistsFilter: `exists[parent]=true` keeps corrections, `exists[parent]=false` the rest."""

    fields: tuple[str, ...]

    def params(self) -> list[Param]:
        return [Param(f"exists[{f}]", f"Whether {f} is set (true) or empty (false).", "boolean")
                for f in self.fields]  # fmt: skip

    def predicate(self, query: Query) -> Predicate | None:
        wanted: dict[str, bool] = {}
        for key, value in query:
            name = _bracket(key, "exists")
            if name in self.fields and value.lower() in ("true", "1", "false", "0"):
                wanted[name] = value.lower() in ("true", "1")
        if not wanted:
            return None
        return lambda record: all(_present(record.get(f)) == want for f, want in wanted.items())


@dataclass(frozen=True)
class OrderFilter:
    """OrderFilter: `order[dueDate]=asc&order[id]=desc`, applied in the order given.

    The id, ascending, breaks every tie so that pages never overlap. Missing values sort first when
    ascending, as MySQL puts NULLs.
    """

    fields: tuple[str, ...]

    def params(self) -> list[Param]:
        return [Param(f"order[{f}]", f"Sort by {f}: asc or desc.") for f in self.fields]

    def sort(self, records: list[Record], query: Query) -> list[Record]:
        keys = []
        for key, value in query:
            name = _bracket(key, "order")
            if name in self.fields and value.lower() in ("asc", "desc"):
                keys.append((name, value.lower() == "desc"))
        if not keys:
            return records
        ordered = sorted(records, key=_by_id)
        for name, descending in reversed(keys):  # stable sorts, last key first
            ordered.sort(key=_sort_key(name), reverse=descending)
        return ordered


@dataclass(frozen=True)
class Collection:
    """The filters and ordering one collection accepts."""

    filters: tuple[Filter, ...] = ()
    order: OrderFilter | None = None

    def params(self) -> list[Param]:
        params = [p for f in self.filters for p in f.params()]
        return params + (self.order.params() if self.order else [])

    def select(self, records: Iterable[Record], query: Query) -> list[Record]:
        predicates = [p for f in self.filters if (p := f.predicate(query)) is not None]
        chosen = [r for r in records if all(p(r) for p in predicates)] if predicates else list(records)
        return self.order.sort(chosen, query) if self.order else chosen


INVOICE_COLLECTION = Collection(
    filters=(
        ExactFilter("status"),
        DateFilter("issueDate"),
        DateFilter("dueDate"),
        RangeFilter("amount"),
        ExistsFilter(
            ("parent", "childrenInvoices", "eInvoicing", "dueDate", "targetAmount", "correctionReason")
        ),
    ),
    order=OrderFilter(("issueDate", "dueDate", "id")),
)


def _invoice_iri(value: str) -> str | None:
    """The `invoice` filter takes an IRI (/invoices/12) or a bare id (12), as SearchFilter does.

    An IRI of an invoice that does not exist still names an id and so matches nothing; a value that is
    neither is unreadable, and a filter left with no readable value is ignored (every item comes back).
    """
    if value.isdigit():
        return INVOICES.iri(int(value))
    return value if INVOICES.id_from_iri(value) is not None else None


PAYMENT_COLLECTION = Collection(filters=(ExactFilter("invoice", _invoice_iri),))
PLAIN_COLLECTION = Collection()

PAGINATION_PARAMS = [
    Param("page", "The page to return, from 1.", "integer"),
    Param("itemsPerPage", "Items per page (capped by the server).", "integer"),
]


def paginate(
    records: list[Record], query: Query, *, default_size: int, max_size: int, partial: bool
) -> PageSlice:
    """One page of the selected records, as API Platform's Pagination reads `page` and `itemsPerPage`."""
    page = _php_int(_last(query, "page"), 1)
    if page < 1:
        raise ApiProblem(400, "Page should not be less than 1")
    size = min(_php_int(_last(query, "itemsPerPage"), default_size), max_size)
    if size < 0:
        raise ApiProblem(400, "Limit should not be less than 0")
    if size == 0 and page > 1:
        raise ApiProblem(400, "Page should not be greater than 1 if limit is equal to 0")
    start = (page - 1) * size
    kept = [(k, v) for k, v in query if k != "page"]
    return PageSlice(records[start : start + size], page, size, None if partial else len(records), kept)


def _last(query: Query, name: str) -> str | None:
    values = [v for k, v in query if k == name]
    return values[-1] if values else None


_PHP_INT = re.compile(r"\s*([+-]?\d+)")


def _php_int(text: str | None, default: int) -> int:
    """PHP's (int) cast, which API Platform applies: "2abc" is 2, "abc" is 0."""
    if text is None:
        return default
    match = _PHP_INT.match(text)
    return int(match.group(1)) if match else 0


def _bracket(key: str, name: str) -> str | None:
    """ "dueDate[before]" -> "before" when name is "dueDate"."""
    if key.startswith(name + "[") and key.endswith("]"):
        return key[len(name) + 1 : -1]
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _by_id(record: Record) -> Any:
    return record["id"]


def _sort_key(name: str) -> Callable[[Record], tuple[bool, Any]]:
    def key(record: Record) -> tuple[bool, Any]:
        value = record.get(name)
        return (value is not None, value if value is not None else "")

    return key


def _present(value: object) -> bool:
    return value not in (None, [], {}, "")
