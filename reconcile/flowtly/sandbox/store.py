"""The sandbox's data: one lock around every table, and the state file written after every change.

Records are plain dicts in the API's own field names, amounts as Decimal, relations as IRIs. Changed
nested values are replaced, never mutated in place, so a page rendered under the lock stays consistent
after the lock is released. Nothing here speaks HTTP.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconcile.errors import ConfigError

from .resources import INVOICE_TRANSACTIONS, INVOICES, RESOURCES, Resource
from .seed import Tables, normalise_seed

STATE_FORMAT = "reconcile.flowtly.sandbox/1"


class Store:
    """Every table of the sandbox, guarded by `lock` (re-entrant: hold it across a read-then-render)."""

    def __init__(self, tables: Tables, *, next_ids: dict[str, int] | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file: Path | None = None
        self.tables: Tables = {r.key: dict(sorted(tables.get(r.key, {}).items())) for r in RESOURCES}
        self.next_ids = {r.key: _after_last(self.tables[r.key]) for r in RESOURCES if not r.string_ids}
        # Ids of deleted resources are never handed out again, even after a restart.
        for key, value in (next_ids or {}).items():
            self.next_ids[key] = max(self.next_ids.get(key, 1), value)
        self._saved_text: dict[str, str] = {}  # table -> its JSON in the state file, until it changes
        self._payments_by_invoice: dict[int, list[int]] = {}
        for payment in self.tables[INVOICE_TRANSACTIONS.key].values():
            self._index_payment(payment)

    @classmethod
    def open(cls, seed: object, *, state_file: Path | None = None, source: str = "seed") -> Store:
        """The state file's data when it exists (the seed is then ignored), else the seed's."""
        if state_file is not None and state_file.exists():
            store = cls.load(state_file)
        else:
            store = cls(normalise_seed(seed, source=source))
        store.state_file = state_file
        store.save()
        return store

    # -- reading (hold `lock`) --------------------------------------------------------------------

    def get(self, resource: Resource, item_id: int | str) -> dict[str, Any] | None:
        return self.tables[resource.key].get(item_id)

    def items(self, resource: Resource) -> Iterator[dict[str, Any]]:
        """The records in id order, the order API Platform uses when no order is asked for."""
        return iter(self.tables[resource.key].values())

    def payments_of(self, invoice_id: int) -> list[dict[str, Any]]:
        table = self.tables[INVOICE_TRANSACTIONS.key]
        return [table[tx_id] for tx_id in self._payments_by_invoice.get(invoice_id, [])]

    # -- changing (each takes the lock and saves) ------------------------------------------------

    def add_payment(
        self, invoice_id: int, amount: Decimal, on: str, transaction: dict[str, Any]
    ) -> dict[str, Any]:
        with self.lock:
            tx_id = self._new_id(INVOICE_TRANSACTIONS)
            payment = {
                "@id": INVOICE_TRANSACTIONS.iri(tx_id),
                "id": tx_id,
                "invoice": INVOICES.iri(invoice_id),
                "amount": amount,
                "date": on,
                "transaction": transaction,
            }
            self.tables[INVOICE_TRANSACTIONS.key][tx_id] = payment
            self._index_payment(payment)
            self.save(changed=INVOICE_TRANSACTIONS)
            return payment

    def delete_payment(self, tx_id: int) -> bool:
        with self.lock:
            payment = self.tables[INVOICE_TRANSACTIONS.key].pop(tx_id, None)
            if payment is None:
                return False
            invoice_id = INVOICES.id_from_iri(payment["invoice"])
            self._payments_by_invoice.get(invoice_id, []).remove(tx_id)  # type: ignore[arg-type]
            self.save(changed=INVOICE_TRANSACTIONS)
            return True

    def update_invoice(self, invoice_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace the record with a changed copy (never mutate: a rendered page may still hold it)."""
        with self.lock:
            record = {**self.tables[INVOICES.key][invoice_id], **changes}
            self.tables[INVOICES.key][invoice_id] = record
            self.save(changed=INVOICES)
            return record

    def _new_id(self, resource: Resource) -> int:
        item_id = self.next_ids[resource.key]
        self.next_ids[resource.key] = item_id + 1
        return item_id

    def _index_payment(self, payment: dict[str, Any]) -> None:
        invoice_id = INVOICES.id_from_iri(payment["invoice"])
        self._payments_by_invoice.setdefault(invoice_id, []).append(payment["id"])  # type: ignore[arg-type]

    # -- snapshot and persistence -----------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of every table as lists in id order; invoices list their payments' IRIs."""
        with self.lock:
            data = {key: [copy.deepcopy(r) for r in table.values()] for key, table in self.tables.items()}
            for invoice in data[INVOICES.key]:
                invoice["invoiceTransactions"] = [p["@id"] for p in self.payments_of(invoice["id"])]
            return data

    def save(self, *, changed: Resource | None = None) -> None:
        """Write the state file atomically: a reader (or a killed sandbox) sees the old file or the new.

        Only the `changed` table is serialized again; the others reuse their text from the last save, so
        a payment posted among 10,000 invoices does not re-encode every invoice. There is no fsync: the
        file survives the sandbox being killed, not the machine losing power, which a sandbox can afford.
        """
        if self.state_file is None:
            return
        with self.lock:
            if changed is None:
                self._saved_text.clear()
            else:
                self._saved_text.pop(changed.key, None)
            parts = [f'"format":{json.dumps(STATE_FORMAT)}', f'"nextIds":{json.dumps(self.next_ids)}']
            for key, table in self.tables.items():
                if key not in self._saved_text:
                    self._saved_text[key] = json.dumps(list(table.values()), default=_encode_decimal)
                parts.append(f"{json.dumps(key)}:{self._saved_text[key]}")
            tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
            try:
                tmp.write_text("{" + ",".join(parts) + "}", encoding="utf-8")
                os.replace(tmp, self.state_file)
            except OSError as exc:
                raise ConfigError(
                    f"cannot write the sandbox state ({exc.strerror}); check that its folder exists "
                    "and is writable",
                    source=str(self.state_file),
                ) from None

    @classmethod
    def load(cls, path: Path) -> Store:
        try:
            state = json.loads(path.read_text(encoding="utf-8"), object_hook=_decode_decimal)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot read the sandbox state ({exc}); delete the file to start again from the seed",
                source=str(path),
            ) from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ConfigError(
                f"not a sandbox state file (expected format {STATE_FORMAT!r}); delete it to start again "
                "from the seed",
                source=str(path),
            )
        tables: Tables = {}
        for resource in RESOURCES:
            tables[resource.key] = {record["id"]: record for record in state.get(resource.key, [])}
        return cls(tables, next_ids=state.get("nextIds", {}))


def _after_last(table: dict[Any, Any]) -> int:
    return 1 + max((i for i in table if isinstance(i, int)), default=0)


# The state file keeps amounts exact: a Decimal is written as {"$decimal": "1230.00"}, never as a float.
def _encode_decimal(value: object) -> object:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot store {type(value).__name__} in the sandbox state")


def _decode_decimal(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$decimal" in obj:
        return Decimal(obj["$decimal"])
    return obj
